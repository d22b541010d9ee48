package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

func register20261126000006(ms *migrate.Migrations) error {
	return ms.Register(consoleUp, consoleDown)
}

// consoleUp adds the audit log and the hourly metric counters the console's
// charts read (aggregated rows, never a scan of tokens).
func consoleUp(ctx context.Context, db *bun.DB) error {
	seq := "BIGSERIAL PRIMARY KEY"
	if db.Dialect().Name() == dialect.SQLite {
		seq = "INTEGER PRIMARY KEY AUTOINCREMENT"
	}
	return execAll(ctx, db, "console", []string{
		`CREATE TABLE IF NOT EXISTS audit_events (
		id ` + seq + `,
		at TIMESTAMPTZ NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		detail TEXT NOT NULL,
		ip TEXT NOT NULL,
		request_id TEXT NOT NULL
	)`,
		`CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at)`,
		`CREATE TABLE IF NOT EXISTS metric_counts (
		bucket TIMESTAMPTZ NOT NULL,
		route TEXT NOT NULL,
		metric TEXT NOT NULL,
		count BIGINT NOT NULL,
		PRIMARY KEY (bucket, route, metric)
	)`,
	})
}

func consoleDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "console down", []string{`DROP TABLE IF EXISTS metric_counts`, `DROP TABLE IF EXISTS audit_events`})
}
