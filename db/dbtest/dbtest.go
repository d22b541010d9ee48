// Package dbtest opens migrated, isolated databases for tests: a temp-file
// SQLite database always, and a fresh Postgres schema when the environment
// variable LATCHKEY_TEST_POSTGRES names a server (a postgres:// URL). Under
// CI=true a missing LATCHKEY_TEST_POSTGRES fails the test instead of
// skipping it, so CI never silently drops the Postgres half.
//
// Every database is closed (and every schema dropped) by t.Cleanup.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/migrations"
)

// EnvPostgres names the environment variable holding the test Postgres URL.
const EnvPostgres = "LATCHKEY_TEST_POSTGRES"

// setupTimeout bounds opening, migrating and dropping a test database.
const setupTimeout = 30 * time.Second

// postgresMaxOpenConns keeps many parallel tests under the server's
// max_connections while still letting concurrency tests overlap.
const postgresMaxOpenConns = 6

// Backend is one database kind tests can run against.
type Backend struct {
	Name string                     // "sqlite" or "postgres"
	Open func(t testing.TB) *bun.DB // a migrated, isolated database
}

// Backends returns SQLite and Postgres, in that order.
func Backends() []Backend {
	return []Backend{
		{Name: db.DialectSQLite, Open: SQLiteDB},
		{Name: db.DialectPostgres, Open: PostgresDB},
	}
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a Store on
// its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, s *db.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, db.New(b.Open(t)))
		})
	}
}

// SQLite returns a Store on a migrated SQLite database in t.TempDir().
func SQLite(t testing.TB) *db.Store {
	t.Helper()
	return db.New(SQLiteDB(t))
}

// Postgres returns a Store on a migrated schema of its own; see PostgresDB.
func Postgres(t testing.TB) *db.Store {
	t.Helper()
	return db.New(PostgresDB(t))
}

// SQLiteDB opens and migrates a SQLite database file in t.TempDir().
func SQLiteDB(t testing.TB) *bun.DB {
	t.Helper()
	return migrated(t, Open(t, "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db")))
}

// PostgresDB opens and migrates a schema of its own on the server named by
// LATCHKEY_TEST_POSTGRES. It skips the test when the variable is unset,
// except under CI=true, where it fails it.
func PostgresDB(t testing.TB) *bun.DB {
	t.Helper()
	bdb := Open(t, PostgresDSN(t))
	bdb.SetMaxOpenConns(postgresMaxOpenConns)
	return migrated(t, bdb)
}

// PostgresDSN creates an empty schema lk_<random> and returns a DSN whose
// connections use it as their search_path. The schema is dropped with
// everything in it at cleanup. Use it to open several pools on one database.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dbtest: %s is not set; CI must run the Postgres tests", EnvPostgres)
		}
		t.Skipf("dbtest: %s is not set; skipping Postgres", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", EnvPostgres, err)
	}
	schema := "lk_" + randomHex(t, 8)

	admin := Open(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema) // pgx sends unknown parameters as run-time settings
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens dsn with db.Open, unmigrated, and closes it at cleanup.
func Open(t testing.TB, dsn string) *bun.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	bdb, err := db.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() {
		if err := bdb.Close(); err != nil {
			t.Errorf("dbtest: close: %v", err)
		}
	})
	return bdb
}

func migrated(t testing.TB, bdb *bun.DB) *bun.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := migrations.Migrate(ctx, bdb); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return bdb
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("dbtest: random: %v", err)
	}
	return hex.EncodeToString(b)
}
