package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func register20261126000002(ms *migrate.Migrations) error {
	return ms.Register(gatewaySessionsUp, gatewaySessionsDown)
}

// gatewaySessionsUp creates the table that binds an upstream MCP session id
// (stored as a SHA-256 hash) to the user who created it, so every replica
// enforces the binding (RS-15, PX-15).
func gatewaySessionsUp(ctx context.Context, db *bun.DB) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS gateway_sessions (
		route TEXT NOT NULL,
		session_hash TEXT NOT NULL,
		user_id TEXT NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		PRIMARY KEY (route, session_hash)
	)`,
		`CREATE INDEX IF NOT EXISTS gateway_sessions_created_at ON gateway_sessions (created_at)`,
	}
	return execAll(ctx, db, "gateway_sessions", stmts)
}

func gatewaySessionsDown(ctx context.Context, db *bun.DB) error {
	_, err := db.NewDropTable().Table("gateway_sessions").IfExists().Exec(ctx)
	return err
}
