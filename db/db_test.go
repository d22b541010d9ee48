package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dsn, want string
	}{
		{"empty", "", "unsupported DSN"},
		{"mysql", "mysql://u:secret@h/db", "unsupported DSN"},
		{"memory", "sqlite::memory:", "unsupported path"},
		{"file URI", "sqlite:file:x.db", "unsupported path"},
		{"empty path", "sqlite:", "unsupported path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bdb, err := db.Open(t.Context(), tt.dsn, nil)
			if err == nil {
				_ = bdb.Close()
				t.Fatalf("Open(%q): got no error, want one containing %q", tt.dsn, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q): got %q, want it to contain %q", tt.dsn, err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open(%q): error %q leaks the password", tt.dsn, err)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new dir", "100% #data?")
	bdb := dbtest.Open(t, "sqlite:"+filepath.Join(dir, "l.db"))

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data directory mode: got %o, want 700", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "l.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	if got := db.Dialect(bdb); got != db.DialectSQLite {
		t.Errorf("Dialect: got %q, want %q", got, db.DialectSQLite)
	}

	// Every pooled connection carries the pragmas: hold several at once.
	ctx := t.Context()
	for i := range 3 {
		conn, err := bdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		pragmas := []struct{ name, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
			{"busy_timeout", "5000"},
		}
		for _, p := range pragmas {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.name, err)
			}
			if got != p.want {
				t.Errorf("connection %d: PRAGMA %s: got %q, want %q", i, p.name, got, p.want)
			}
		}
	}
}

func TestOpenPostgres(t *testing.T) {
	t.Parallel()
	bdb := dbtest.PostgresDB(t)
	if got := db.Dialect(bdb); got != db.DialectPostgres {
		t.Errorf("Dialect: got %q, want %q", got, db.DialectPostgres)
	}
}

// TestStoreBackendDetails covers what the backend-neutral suite cannot: NUL
// bytes, time normalisation, foreign keys and the cascade.
func TestStoreBackendDetails(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			bdb := b.Open(t)
			s := db.New(bdb)
			ctx := t.Context()

			t.Run("NUL bytes", func(t *testing.T) { testNUL(t, ctx, s) })
			t.Run("times come back in UTC", func(t *testing.T) { testTimes(t, ctx, s) })

			t.Run("refresh token of an unknown grant", func(t *testing.T) {
				err := s.CreateRefreshToken(ctx, &oauth.RefreshToken{Hash: "h-orphan", GrantID: "nope"})
				if !errors.Is(err, oauth.ErrNotFound) {
					t.Errorf("CreateRefreshToken: got %v, want ErrNotFound", err)
				}
			})

			t.Run("deleting a grant deletes its refresh tokens", func(t *testing.T) {
				now := time.Now()
				g := &oauth.Grant{ID: "g-del", CreatedAt: now, ExpiresAt: now, LastUsedAt: now}
				if err := s.CreateGrant(ctx, g); err != nil {
					t.Fatal(err)
				}
				rt := &oauth.RefreshToken{Hash: "h-del", GrantID: "g-del", CreatedAt: now, ExpiresAt: now}
				if err := s.CreateRefreshToken(ctx, rt); err != nil {
					t.Fatal(err)
				}
				if _, err := bdb.NewDelete().Table("grants").Where("id = ?", "g-del").Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := s.UseRefreshToken(ctx, "h-del", now); !errors.Is(err, oauth.ErrNotFound) {
					t.Errorf("UseRefreshToken after the grant was deleted: got %v, want ErrNotFound", err)
				}
			})
		})
	}
}

func testNUL(t *testing.T, ctx context.Context, s *db.Store) {
	c := &oauth.Client{ID: "c-nul", Name: "bad\x00name", CreatedAt: time.Now()}
	if err := s.CreateClient(ctx, c); !errors.Is(err, db.ErrNULByte) {
		t.Errorf("CreateClient with NUL in Name: got %v, want ErrNULByte", err)
	}
	c = &oauth.Client{ID: "c-nul", RedirectURIs: []string{"https://x/\x00"}, CreatedAt: time.Now()}
	if err := s.CreateClient(ctx, c); !errors.Is(err, db.ErrNULByte) {
		t.Errorf("CreateClient with NUL in a list: got %v, want ErrNULByte", err)
	}
	if _, err := s.GetClient(ctx, "a\x00b"); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("GetClient with NUL: got %v, want ErrNotFound", err)
	}
	if _, err := s.RedeemCode(ctx, "a\x00b", time.Now()); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("RedeemCode with NUL: got %v, want ErrNotFound", err)
	}
	if err := s.RetireSigningKey(ctx, "a\x00b", time.Now(), time.Now()); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("RetireSigningKey with NUL: got %v, want ErrNotFound", err)
	}
	if err := s.RevokeGrant(ctx, "a\x00b", time.Now()); err != nil {
		t.Errorf("RevokeGrant with NUL: got %v, want nil (unknown grant)", err)
	}
}

func testTimes(t *testing.T, ctx context.Context, s *db.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	in := time.Date(2026, 3, 1, 4, 0, 0, 987654321, zone)
	r := &oauth.Route{Name: "tz", Upstream: "http://u", CreatedAt: in}
	if err := s.CreateRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRoute(ctx, "tz")
	if err != nil {
		t.Fatal(err)
	}
	want := in.UTC().Truncate(time.Microsecond)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt: got %v, want %v", got.CreatedAt, want)
	}
}
