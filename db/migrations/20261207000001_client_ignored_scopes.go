package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func register20261207000001(ms *migrate.Migrations) error {
	return ms.Register(clientIgnoredScopesUp, clientIgnoredScopesDown)
}

// clientIgnoredScopesUp remembers the scopes a client asked for that no
// route offers, so operators can see which clients behave oddly.
func clientIgnoredScopesUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "client_ignored_scopes", []string{`ALTER TABLE clients ADD COLUMN ignored_scopes TEXT NOT NULL DEFAULT '[]'`})
}

func clientIgnoredScopesDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "client_ignored_scopes down", []string{`ALTER TABLE clients DROP COLUMN ignored_scopes`})
}
