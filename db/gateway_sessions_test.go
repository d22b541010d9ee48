package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

func TestGatewaySessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		ctx := context.Background()
		now := time.Now()
		if err := s.BindSession(ctx, "demo", "h1", "usr_a", now); err != nil {
			t.Fatal(err)
		}
		if err := s.BindSession(ctx, "demo", "h1", "usr_b", now); !errors.Is(err, oauth.ErrConflict) {
			t.Fatalf("rebinding: %v, want ErrConflict", err)
		}
		if u, err := s.SessionOwner(ctx, "demo", "h1"); err != nil || u != "usr_a" {
			t.Fatalf("owner = %q, %v", u, err)
		}
		if _, err := s.SessionOwner(ctx, "other", "h1"); !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("another route: %v, want ErrNotFound", err)
		}
		if err := s.DeleteSession(ctx, "demo", "h1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionOwner(ctx, "demo", "h1"); !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("after delete: %v, want ErrNotFound", err)
		}
	})
}
