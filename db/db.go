// Package db persists Latchkey's state with bun on SQLite (modernc, pure Go)
// or Postgres (pgx), and implements oauth.Store.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names returned by Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Pool limits. SQLite in WAL mode allows many readers and one writer; a few
// connections let reads proceed while a write waits on busy_timeout.
const (
	sqliteMaxOpenConns   = 8
	postgresMaxOpenConns = 20
	postgresMaxIdleConns = 10
	connMaxIdleTime      = 5 * time.Minute
)

// sqliteParams configures every SQLite connection of the pool.
//
// Durability trade-off: journal_mode(WAL) with synchronous(NORMAL) fsyncs the
// WAL only at checkpoints, not at every commit. A power loss or OS crash can
// lose the last few committed transactions but never corrupts the database (an
// application crash loses nothing). Losing seconds of freshly issued grants,
// codes or refresh tokens is acceptable for OAuth state: clients re-authorize.
// synchronous(FULL) would cost one fsync per commit. See docs/database.md.
//
// _txlock=immediate makes BEGIN take the write lock up front, so two
// read-then-write transactions wait on busy_timeout instead of failing with
// SQLITE_BUSY when the second one tries to upgrade its read lock.
const sqliteParams = "_pragma=journal_mode(WAL)" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_txlock=immediate"

// Open connects to the database named by dsn and checks it with a ping.
//
// Accepted forms are "sqlite:PATH" (the parent directory is created with mode
// 0700) and "postgres://…" or "postgresql://…" (any libpq URL that pgx
// accepts). In-memory SQLite is not supported: every pooled connection would
// get its own empty database. log may be nil.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*bun.DB, error) {
	var (
		bdb  *bun.DB
		kind string
		err  error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		kind = DialectSQLite
		bdb, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		kind = DialectPostgres
		bdb, err = openPostgres(dsn)
	default:
		return nil, fmt.Errorf("db: open: unsupported DSN %q: want sqlite:PATH or postgres://…", redactDSN(dsn))
	}
	if err != nil {
		return nil, err
	}
	if err := bdb.PingContext(ctx); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("db: ping %s: %w", kind, err)
	}
	if log != nil {
		log.Debug("database opened", slog.String("dialect", kind))
	}
	return bdb, nil
}

func openSQLite(path string) (*bun.DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("db: open sqlite: unsupported path %q: want a file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("db: open sqlite: create directory: %w", err)
	}
	// Create the file owner-only before SQLite does, so secrets' hashes and
	// sealed keys are never world-readable whatever the umask.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		_ = f.Close()
	}
	sqldb, err := sql.Open("sqlite", "file:"+escapeSQLitePath(path)+"?"+sqliteParams)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	sqldb.SetMaxOpenConns(sqliteMaxOpenConns)
	sqldb.SetMaxIdleConns(sqliteMaxOpenConns)
	sqldb.SetConnMaxIdleTime(connMaxIdleTime)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// escapeSQLitePath escapes the characters that SQLite's URI filename parser
// treats specially, so any path survives the "file:" form.
func escapeSQLitePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

func openPostgres(dsn string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: parse DSN: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(postgresMaxOpenConns)
	sqldb.SetMaxIdleConns(postgresMaxIdleConns)
	sqldb.SetConnMaxIdleTime(connMaxIdleTime)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// redactDSN drops everything after the scheme so passwords never reach logs.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, ":"); i >= 0 {
		return dsn[:i] + ":…"
	}
	return "…"
}

// Dialect returns DialectSQLite or DialectPostgres for a database from Open.
func Dialect(db bun.IDB) string {
	switch db.Dialect().Name() {
	case dialect.PG:
		return DialectPostgres
	case dialect.SQLite:
		return DialectSQLite
	default:
		return db.Dialect().Name().String()
	}
}
