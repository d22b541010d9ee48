package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

func register20261126000001(ms *migrate.Migrations) error {
	return ms.Register(routePolicyUp, routePolicyDown)
}

// routePolicyColumns are the gateway's per-route settings: step-up rules
// (JSON), who may use the route, and the upstream's own credential header
// (its value sealed with the master secret).
var routePolicyColumns = [][2]string{
	{"step_up", "TEXT NOT NULL DEFAULT '[]'"},
	{"admin_only", "BOOLEAN NOT NULL DEFAULT FALSE"},
	{"allowed_users", "TEXT NOT NULL DEFAULT '[]'"},
	{"upstream_header_name", "TEXT NOT NULL DEFAULT ''"},
	{"upstream_header_sealed", "BYTEA"},
}

func routePolicyUp(ctx context.Context, db *bun.DB) error {
	sqlite := db.Dialect().Name() == dialect.SQLite
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, c := range routePolicyColumns {
			stmt := "ALTER TABLE routes ADD COLUMN " + c[0] + " " + c[1]
			if sqlite {
				stmt = pgToSQLite(stmt)
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("add routes.%s: %w", c[0], err)
			}
		}
		return nil
	})
}

func routePolicyDown(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i := len(routePolicyColumns) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE routes DROP COLUMN "+routePolicyColumns[i][0]); err != nil {
				return fmt.Errorf("drop routes.%s: %w", routePolicyColumns[i][0], err)
			}
		}
		return nil
	})
}
