package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

func register20261126000003(ms *migrate.Migrations) error {
	return ms.Register(revocationsUp, revocationsDown)
}

// revocationsUp creates the revocation log that every replica's gateway
// polls to drop revoked tokens from its cache (issue 5: propagation).
func revocationsUp(ctx context.Context, db *bun.DB) error {
	seq := "BIGSERIAL PRIMARY KEY"
	if db.Dialect().Name() == dialect.SQLite {
		seq = "INTEGER PRIMARY KEY AUTOINCREMENT" // never reuses a deleted seq
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS revocations (
		seq ` + seq + `,
		kind TEXT NOT NULL,
		ref TEXT NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE INDEX IF NOT EXISTS revocations_expires_at ON revocations (expires_at)`,
		`CREATE INDEX IF NOT EXISTS revocations_kind_ref ON revocations (kind, ref)`,
	}
	return execAll(ctx, db, "revocations", stmts)
}

func revocationsDown(ctx context.Context, db *bun.DB) error {
	_, err := db.NewDropTable().Table("revocations").IfExists().Exec(ctx)
	return err
}
