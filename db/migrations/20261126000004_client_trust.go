package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func register20261126000004(ms *migrate.Migrations) error {
	return ms.Register(clientTrustUp, clientTrustDown)
}

// clientTrustUp adds what client ID metadata documents, private_key_jwt and
// RFC 7592 management need: client keys, a hashed registration access
// token, the trust policy (settings + allowlisted domains) and the
// single-use record of client assertion jtis.
func clientTrustUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "client_trust", []string{
		`ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE clients ADD COLUMN registration_token_hash TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE clients ADD COLUMN registered_from TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX IF NOT EXISTS clients_source_created ON clients (source, created_at)`,
		`CREATE TABLE IF NOT EXISTS settings (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE TABLE IF NOT EXISTS trusted_domains (
		domain TEXT PRIMARY KEY,
		created_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE TABLE IF NOT EXISTS used_assertions (
		client_id TEXT NOT NULL,
		jti TEXT NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL,
		PRIMARY KEY (client_id, jti)
	)`,
		`CREATE INDEX IF NOT EXISTS used_assertions_expires_at ON used_assertions (expires_at)`,
	})
}

func clientTrustDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "client_trust down", []string{
		`DROP TABLE IF EXISTS used_assertions`,
		`DROP TABLE IF EXISTS trusted_domains`,
		`DROP TABLE IF EXISTS settings`,
		`DROP INDEX IF EXISTS clients_source_created`,
		`ALTER TABLE clients DROP COLUMN registered_from`,
		`ALTER TABLE clients DROP COLUMN registration_token_hash`,
		`ALTER TABLE clients DROP COLUMN jwks`,
		`ALTER TABLE clients DROP COLUMN jwks_uri`,
	})
}
