package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// testDeleteExpired: one pass removes exactly what has expired (with the
// retention windows) and keeps everything still live; a second pass, as
// another replica would run it, finds nothing.
func testDeleteExpired(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	now := base().Add(100 * 24 * time.Hour)

	oldReq, liveReq := newAuthRequest("old"), newAuthRequest("live")
	liveReq.ExpiresAt = now.Add(time.Minute)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, oldReq))
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, liveReq))

	oldCode, recentCode := newCode("code-old"), newCode("code-recent")
	recentCode.ExpiresAt = now.Add(-time.Minute) // expired, but inside the replay window
	must(t, "CreateCode", s.CreateCode(ctx, oldCode))
	must(t, "CreateCode", s.CreateCode(ctx, recentCode))

	expired := newGrant("g-expired", "u1", "c1", base()) // expires base+30d
	revokedLong := newGrant("g-revoked-long", "u1", "c1", now.Add(-40*24*time.Hour))
	revokedLong.RevokedAt = ptr(now.Add(-31 * 24 * time.Hour))
	revokedRecent := newGrant("g-revoked-recent", "u1", "c1", now.Add(-time.Hour))
	revokedRecent.RevokedAt = ptr(now.Add(-time.Hour))
	live := newGrant("g-live", "u1", "c1", now.Add(-time.Hour))
	for _, g := range []*oauth.Grant{expired, revokedLong, revokedRecent, live} {
		must(t, "CreateGrant", s.CreateGrant(ctx, g))
	}
	rtExpired := newRefreshToken("rt-expired", "g-live")
	rtLive := newRefreshToken("rt-live", "g-live")
	rtLive.ExpiresAt = now.Add(time.Hour)
	rtOfExpiredGrant := newRefreshToken("rt-cascade", "g-expired")
	rtOfExpiredGrant.ExpiresAt = now.Add(time.Hour)
	for _, rt := range []*oauth.RefreshToken{rtExpired, rtLive, rtOfExpiredGrant} {
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
	}
	must(t, "RecordRevocation", s.RecordRevocation(ctx, &oauth.Revocation{Kind: oauth.RevokedToken, Ref: "j-old", CreatedAt: base(), ExpiresAt: base().Add(time.Hour)}))
	must(t, "RecordRevocation", s.RecordRevocation(ctx, &oauth.Revocation{Kind: oauth.RevokedToken, Ref: "j-live", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(t, "UseAssertion", s.UseAssertion(ctx, "c1", "a-old", base()))

	p, err := s.DeleteExpired(ctx, now)
	must(t, "DeleteExpired", err)
	want := oauth.Purged{AuthRequests: 1, Codes: 1, RefreshTokens: 1, Grants: 2, Revocations: 1, Assertions: 1}
	if p != want {
		t.Fatalf("DeleteExpired = %+v, want %+v", p, want)
	}
	_, err = s.GetAuthRequest(ctx, "live")
	must(t, "live auth request kept", err)
	for _, id := range []string{"g-live", "g-revoked-recent"} {
		_, err := s.GetGrant(ctx, id)
		must(t, "grant "+id+" kept", err)
	}
	_, err = s.GetGrant(ctx, "g-expired")
	wantErr(t, "expired grant", err, oauth.ErrNotFound)
	_, err = s.UseRefreshToken(ctx, "rt-cascade", now)
	wantErr(t, "refresh token of a deleted grant", err, oauth.ErrNotFound)
	_, err = s.UseRefreshToken(ctx, "rt-live", now)
	must(t, "live refresh token kept", err)
	if live, err := s.ListRevocations(ctx, 0, base(), 10); err != nil || len(live) != 1 || live[0].Ref != "j-live" {
		t.Fatalf("revocations after clean-up: %+v %v", live, err)
	}
	again, err := s.DeleteExpired(ctx, now)
	must(t, "DeleteExpired again", err)
	if again != (oauth.Purged{}) {
		t.Fatalf("second pass deleted %+v", again)
	}
}
