// Package migrations holds Latchkey's schema migrations, one per file, and
// runs them with bun's migrator on SQLite and Postgres alike.
package migrations

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

const (
	// lockWait bounds how long Migrate waits for another process's
	// migration lock before giving up (the context may end it sooner).
	lockWait = time.Minute
	// lockPoll is how often a waiting Migrate retries the lock.
	lockPoll = 100 * time.Millisecond
	// pgAdvisoryLockKey names the Postgres advisory lock that serializes
	// Migrate across processes ("latchkey" in ASCII).
	pgAdvisoryLockKey int64 = 0x6c617463686b6579
)

// New returns the registry of all migrations, in the order they apply. Each
// migration file adds one register function here; bun derives the migration
// name from that file's name.
func New() *migrate.Migrations {
	ms := migrate.NewMigrations()
	for _, register := range []func(*migrate.Migrations) error{
		register20261125000001,
		register20261126000001,
		register20261126000002,
		register20261126000003,
		register20261126000004,
		register20261126000005,
		register20261126000006,
		register20261126000007,
		register20261207000001,
	} {
		if err := register(ms); err != nil {
			panic(fmt.Sprintf("migrations: register: %v", err)) // a programmer error in this package
		}
	}
	return ms
}

// Migrate applies every pending migration and is a no-op when there is none.
// Concurrent calls from several processes are safe: on Postgres a
// session-level advisory lock serializes them (it also covers creating bun's
// own tables, which races otherwise, and is released if the process dies),
// and bun's lock table guards the migrations themselves on both databases.
// A caller that finds the lock taken waits for up to a minute.
func Migrate(ctx context.Context, db *bun.DB) (err error) {
	if db.Dialect().Name() == dialect.PG {
		unlock, lerr := pgAdvisoryLock(ctx, db)
		if lerr != nil {
			return lerr
		}
		defer unlock()
	}
	m := migrate.NewMigrator(db, New(), migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrations: init: %w", err)
	}
	if err := lock(ctx, m); err != nil {
		return err
	}
	defer func() {
		if uerr := m.Unlock(context.WithoutCancel(ctx)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("migrations: unlock: %w", uerr))
		}
	}()
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrations: migrate: %w", err)
	}
	return nil
}

// lock takes bun's migration lock, retrying while another process holds it.
func lock(ctx context.Context, m *migrate.Migrator) error {
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrations: lock (held by another process, or left by one that died: see ForceUnlock): %w", err)
		case <-t.C:
		}
	}
}

// ForceUnlock removes bun's migration lock. Use it only when no other process
// is migrating, after one died while holding the lock.
func ForceUnlock(ctx context.Context, db *bun.DB) error {
	if err := migrate.NewMigrator(db, New()).Unlock(ctx); err != nil {
		return fmt.Errorf("migrations: force unlock: %w", err)
	}
	return nil
}

// pgAdvisoryLock waits for the migration advisory lock on a dedicated
// connection and returns the function that releases it.
func pgAdvisoryLock(ctx context.Context, db *bun.DB) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: advisory lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", pgAdvisoryLockKey); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("migrations: advisory lock: %w", err)
	}
	return func() {
		_, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", pgAdvisoryLockKey)
		if err != nil {
			// The session still holds the lock: drop the connection instead
			// of returning it to the pool, which ends the session and the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, nil
}

// Status lists every migration with whether it has been applied.
func Status(ctx context.Context, db *bun.DB) (migrate.MigrationSlice, error) {
	m := migrate.NewMigrator(db, New())
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrations: init: %w", err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	return ms, nil
}

// execAll runs DDL statements written for Postgres in one transaction,
// translated for SQLite where needed; what names the migration in errors.
func execAll(ctx context.Context, db *bun.DB, what string, stmts []string) error {
	sqlite := db.Dialect().Name() == dialect.SQLite
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range stmts {
			if sqlite {
				s = pgToSQLite(s)
			}
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return nil
	})
}
