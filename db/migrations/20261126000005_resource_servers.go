package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func register20261126000005(ms *migrate.Migrations) error {
	return ms.Register(resourceServersUp, resourceServersDown)
}

// resourceServersUp marks clients that may introspect every token (RFC 7662
// callers acting as resource servers); other clients see only their own.
func resourceServersUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "resource_servers", []string{
		`ALTER TABLE clients ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT FALSE`,
	})
}

func resourceServersDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "resource_servers down", []string{`ALTER TABLE clients DROP COLUMN resource_server`})
}
