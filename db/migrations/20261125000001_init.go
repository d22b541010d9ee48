package migrations

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

func register20261125000001(ms *migrate.Migrations) error {
	return ms.Register(initUp, initDown)
}

// initSchema creates every table of the first release. It is written for
// Postgres; pgToSQLite adapts the few type names that differ. Lists are JSON
// arrays in TEXT columns and times are TIMESTAMPTZ on Postgres and TIMESTAMP
// (UTC text with microseconds, written by bun) on SQLite. IF NOT EXISTS makes
// a re-run after a crash between the schema commit and bun recording it safe.
//
// Grants, codes and consents reference clients and users by ID without foreign
// keys: deleting a client must not silently delete what an operator may still
// want to audit or revoke. Only refresh tokens die with their grant.
func initSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS users (
		id TEXT PRIMARY KEY,
		username TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		admin BOOLEAN NOT NULL DEFAULT FALSE,
		disabled BOOLEAN NOT NULL DEFAULT FALSE,
		created_at TIMESTAMPTZ NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE TABLE IF NOT EXISTS clients (
		id TEXT PRIMARY KEY,
		secret_hash TEXT NOT NULL DEFAULT '',
		name TEXT NOT NULL DEFAULT '',
		redirect_uris TEXT NOT NULL DEFAULT '[]',
		grant_types TEXT NOT NULL DEFAULT '[]',
		response_types TEXT NOT NULL DEFAULT '[]',
		token_endpoint_auth_method TEXT NOT NULL,
		scope TEXT NOT NULL DEFAULT '',
		client_uri TEXT NOT NULL DEFAULT '',
		logo_uri TEXT NOT NULL DEFAULT '',
		contacts TEXT NOT NULL DEFAULT '[]',
		software_id TEXT NOT NULL DEFAULT '',
		software_version TEXT NOT NULL DEFAULT '',
		source TEXT NOT NULL,
		disabled BOOLEAN NOT NULL DEFAULT FALSE,
		created_at TIMESTAMPTZ NOT NULL,
		last_used_at TIMESTAMPTZ
	)`,
		`CREATE TABLE IF NOT EXISTS routes (
		name TEXT PRIMARY KEY,
		upstream TEXT NOT NULL,
		title TEXT NOT NULL DEFAULT '',
		scopes TEXT NOT NULL DEFAULT '[]',
		created_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE TABLE IF NOT EXISTS auth_requests (
		id TEXT PRIMARY KEY,
		client_id TEXT NOT NULL,
		redirect_uri TEXT NOT NULL,
		state TEXT NOT NULL DEFAULT '',
		scopes TEXT NOT NULL DEFAULT '[]',
		route TEXT NOT NULL,
		resource TEXT NOT NULL,
		code_challenge TEXT NOT NULL,
		prompt TEXT NOT NULL DEFAULT '',
		created_at TIMESTAMPTZ NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL
	)`,
		`CREATE INDEX IF NOT EXISTS auth_requests_expires_at_idx ON auth_requests (expires_at)`,
		`CREATE TABLE IF NOT EXISTS codes (
		hash TEXT PRIMARY KEY,
		grant_id TEXT NOT NULL,
		client_id TEXT NOT NULL,
		user_id TEXT NOT NULL,
		redirect_uri TEXT NOT NULL,
		route TEXT NOT NULL,
		resource TEXT NOT NULL,
		scopes TEXT NOT NULL DEFAULT '[]',
		code_challenge TEXT NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL,
		redeemed_at TIMESTAMPTZ
	)`,
		`CREATE INDEX IF NOT EXISTS codes_expires_at_idx ON codes (expires_at)`,
		`CREATE TABLE IF NOT EXISTS grants (
		id TEXT PRIMARY KEY,
		client_id TEXT NOT NULL,
		user_id TEXT NOT NULL,
		route TEXT NOT NULL,
		resource TEXT NOT NULL,
		scopes TEXT NOT NULL DEFAULT '[]',
		created_at TIMESTAMPTZ NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL,
		last_used_at TIMESTAMPTZ NOT NULL,
		revoked_at TIMESTAMPTZ
	)`,
		`CREATE INDEX IF NOT EXISTS grants_user_id_idx ON grants (user_id)`,
		`CREATE INDEX IF NOT EXISTS grants_client_id_idx ON grants (client_id)`,
		`CREATE TABLE IF NOT EXISTS refresh_tokens (
		hash TEXT PRIMARY KEY,
		grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
		created_at TIMESTAMPTZ NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL,
		used_at TIMESTAMPTZ
	)`,
		`CREATE INDEX IF NOT EXISTS refresh_tokens_grant_id_idx ON refresh_tokens (grant_id)`,
		`CREATE TABLE IF NOT EXISTS consents (
		user_id TEXT NOT NULL,
		client_id TEXT NOT NULL,
		route TEXT NOT NULL,
		scopes TEXT NOT NULL DEFAULT '[]',
		created_at TIMESTAMPTZ NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL,
		PRIMARY KEY (user_id, client_id, route)
	)`,
		`CREATE TABLE IF NOT EXISTS signing_keys (
		id TEXT PRIMARY KEY,
		algorithm TEXT NOT NULL,
		private_enc BYTEA NOT NULL,
		public_jwk BYTEA NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		retired_at TIMESTAMPTZ,
		not_after TIMESTAMPTZ
	)`,
	}
}

// initTables lists the tables initUp creates, in creation order.
func initTables() []string {
	return []string{"users", "clients", "routes", "auth_requests", "codes", "grants",
		"refresh_tokens", "consents", "signing_keys"}
}

func initUp(ctx context.Context, db *bun.DB) error {
	sqlite := db.Dialect().Name() == dialect.SQLite
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, stmt := range initSchema() {
			if sqlite {
				stmt = pgToSQLite(stmt)
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%.60s…: %w", stmt, err)
			}
		}
		return nil
	})
}

func initDown(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		tables := initTables()
		for i := len(tables) - 1; i >= 0; i-- {
			if _, err := tx.NewDropTable().Table(tables[i]).IfExists().Exec(ctx); err != nil {
				return fmt.Errorf("drop %s: %w", tables[i], err)
			}
		}
		return nil
	})
}

// pgToSQLite rewrites the Postgres type names that SQLite spells differently.
// TIMESTAMP (not TIMESTAMPTZ) is the declared type modernc's driver parses
// into time.Time.
func pgToSQLite(stmt string) string {
	return strings.NewReplacer("TIMESTAMPTZ", "TIMESTAMP", "BYTEA", "BLOB").Replace(stmt)
}
