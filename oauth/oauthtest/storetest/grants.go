package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testGrantRoundTrip(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("g1", "u1", "c1", base())
	must(t, "CreateGrant", s.CreateGrant(ctx, g))
	got, err := s.GetGrant(ctx, "g1")
	must(t, "GetGrant", err)
	wantEqual(t, "grant", got, g)

	revoked := newGrant("g2", "u1", "c1", base())
	revoked.RevokedAt = ptr(base().Add(time.Minute))
	must(t, "CreateGrant revoked", s.CreateGrant(ctx, revoked))
	got, err = s.GetGrant(ctx, "g2")
	must(t, "GetGrant revoked", err)
	wantEqual(t, "revoked grant", got, revoked)

	wantErr(t, "CreateGrant duplicate", s.CreateGrant(ctx, newGrant("g1", "u2", "c2", base())), oauth.ErrConflict)
	_, err = s.GetGrant(ctx, "missing")
	wantErr(t, "GetGrant unknown", err, oauth.ErrNotFound)
}

func testGrantList(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	all := []*oauth.Grant{
		newGrant("g1", "u1", "c1", base()),
		newGrant("g2", "u1", "c2", base()),
		newGrant("g3", "u2", "c1", base().Add(time.Second)),
		newGrant("g0", "u2", "c2", base().Add(time.Minute)),
	}
	all[1].RevokedAt = ptr(base()) // listed too
	for _, i := range []int{3, 2, 1, 0} {
		must(t, "CreateGrant", s.CreateGrant(ctx, all[i]))
	}
	tests := []struct {
		name           string
		userID, client string
		want           []*oauth.Grant
	}{
		{"all", "", "", all},
		{"by user", "u1", "", all[:2]},
		{"by client", "", "c1", []*oauth.Grant{all[0], all[2]}},
		{"by user and client", "u2", "c2", all[3:]},
		{"no match", "u3", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListGrants(ctx, tt.userID, tt.client)
			must(t, "ListGrants", err)
			wantEqual(t, "grants", got, tt.want)
		})
	}
}

func testGrantTouchAndRevoke(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("g1", "u1", "c1", base())
	must(t, "CreateGrant", s.CreateGrant(ctx, g))

	used := base().Add(time.Hour)
	must(t, "TouchGrant", s.TouchGrant(ctx, "g1", used))
	wantErr(t, "TouchGrant unknown", s.TouchGrant(ctx, "missing", used), oauth.ErrNotFound)

	revoked := base().Add(2 * time.Hour)
	must(t, "RevokeGrant", s.RevokeGrant(ctx, "g1", revoked))
	// Idempotent: a second revoke keeps the first time; unknown is no error.
	must(t, "RevokeGrant again", s.RevokeGrant(ctx, "g1", revoked.Add(time.Hour)))
	must(t, "RevokeGrant unknown", s.RevokeGrant(ctx, "missing", revoked))

	got, err := s.GetGrant(ctx, "g1")
	must(t, "GetGrant", err)
	want := *g
	want.LastUsedAt = used
	want.RevokedAt = &revoked
	wantEqual(t, "touched and revoked grant", got, &want)
}

func testRefreshTokenUse(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateGrant", s.CreateGrant(ctx, newGrant("g1", "u1", "c1", base())))
	rt := newRefreshToken("r1", "g1")
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
	wantErr(t, "CreateRefreshToken duplicate", s.CreateRefreshToken(ctx, newRefreshToken("r1", "g1")), oauth.ErrConflict)

	first := base().Add(time.Minute)
	got, err := s.UseRefreshToken(ctx, "r1", first)
	must(t, "UseRefreshToken", err)
	want := *rt
	want.UsedAt = &first
	wantEqual(t, "used token", got, &want)

	got, err = s.UseRefreshToken(ctx, "r1", first.Add(time.Minute))
	wantErr(t, "UseRefreshToken reuse", err, oauth.ErrAlreadyUsed)
	if got == nil {
		t.Fatal("UseRefreshToken reuse: got nil token, want the token")
	}
	wantEqual(t, "reused token", got, &want)

	_, err = s.UseRefreshToken(ctx, "missing", first)
	wantErr(t, "UseRefreshToken unknown", err, oauth.ErrNotFound)
}
