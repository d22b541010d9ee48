package migrations_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/db/migrations"
)

// tables are the tables the migrations create.
func tables() []string {
	return []string{"users", "clients", "routes", "auth_requests", "codes", "grants",
		"refresh_tokens", "consents", "signing_keys", "gateway_sessions", "revocations", "settings", "trusted_domains", "used_assertions", "audit_events", "metric_counts"}
}

func TestNew(t *testing.T) {
	t.Parallel()
	ms := migrations.New().Sorted()
	if len(ms) == 0 {
		t.Fatal("New: no migrations")
	}
	if got := ms[0].String(); got != "20261125000001_init" {
		t.Errorf("first migration: got %q, want %q", got, "20261125000001_init")
	}
	for _, m := range ms {
		if m.Up == nil || m.Down == nil {
			t.Errorf("migration %s: want both up and down", m)
		}
	}
}

// dsnFuncs returns, per backend, a function giving an empty database's DSN.
func dsnFuncs() map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string {
			return "sqlite:" + filepath.Join(t.TempDir(), "l.db")
		},
		"postgres": func(t *testing.T) string { return dbtest.PostgresDSN(t) },
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			bdb := b.Open(t) // migrated once
			before := appliedNames(t, bdb)
			if err := migrations.Migrate(t.Context(), bdb); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			if got := appliedNames(t, bdb); strings.Join(got, ",") != strings.Join(before, ",") {
				t.Errorf("applied after a second Migrate: got %v, want %v", got, before)
			}
			checkSchema(t, bdb)
		})
	}
}

// TestMigrateConcurrent runs Migrate from several pools at once, as several
// processes starting together would.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	const procs = 4
	for name, dsn := range dsnFuncs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := dsn(t)
			dbs := make([]*bun.DB, procs)
			for i := range dbs {
				dbs[i] = dbtest.Open(t, d)
			}
			var wg sync.WaitGroup
			errs := make([]error, procs)
			for i, bdb := range dbs {
				wg.Go(func() { errs[i] = migrations.Migrate(t.Context(), bdb) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Migrate #%d: %v", i, err)
				}
			}
			if got, want := len(appliedNames(t, dbs[0])), len(migrations.New().Sorted()); got != want {
				t.Errorf("applied migrations: got %d, want %d (each once)", got, want)
			}
			checkSchema(t, dbs[0])
		})
	}
}

func TestMigrateWaitsForLockAndForceUnlock(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			bdb := b.Open(t)
			// A process that died while migrating leaves bun's lock behind.
			if err := migrate.NewMigrator(bdb, migrations.New()).Lock(t.Context()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second) // long enough for the advisory lock under load
			defer cancel()
			err := migrations.Migrate(ctx, bdb)
			if err == nil || !strings.Contains(err.Error(), "ForceUnlock") {
				t.Fatalf("Migrate with a stale lock: got %v, want a lock error naming ForceUnlock", err)
			}
			if err := migrations.ForceUnlock(t.Context(), bdb); err != nil {
				t.Fatalf("ForceUnlock: %v", err)
			}
			if err := migrations.Migrate(t.Context(), bdb); err != nil {
				t.Errorf("Migrate after ForceUnlock: %v", err)
			}
		})
	}
}

func TestRollbackAndReapply(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			bdb := b.Open(t)
			m := migrate.NewMigrator(bdb, migrations.New())
			if _, err := m.Rollback(t.Context()); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			for _, table := range tables() {
				var n int
				err := bdb.NewSelect().Table(table).ColumnExpr("count(*)").Scan(t.Context(), &n)
				if err == nil {
					t.Errorf("table %s still exists after rollback", table)
				}
			}
			if err := migrations.Migrate(t.Context(), bdb); err != nil {
				t.Fatalf("Migrate after rollback: %v", err)
			}
			checkSchema(t, bdb)
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	bdb := dbtest.SQLiteDB(t)
	ms, err := migrations.Status(t.Context(), bdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || len(ms.Unapplied()) != 0 {
		t.Errorf("Status after Migrate: got %v, want all applied", ms)
	}
}

func appliedNames(t *testing.T, bdb *bun.DB) []string {
	t.Helper()
	var names []string
	err := bdb.NewSelect().Table("bun_migrations").Column("name").Order("id").Scan(t.Context(), &names)
	if err != nil {
		t.Fatalf("read bun_migrations: %v", err)
	}
	return names
}

func checkSchema(t *testing.T, bdb *bun.DB) {
	t.Helper()
	for _, table := range tables() {
		var n int
		if err := bdb.NewSelect().Table(table).ColumnExpr("count(*)").Scan(t.Context(), &n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}
