package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// staleFixture is one client of the stale-registration tests and what
// names it: a consent, a revoked grant with a refresh token, an expired
// authorization request, a redeemed code and an assertion jti.
type staleFixture struct {
	id, source string
	lastUsed   *time.Time
	// live state that keeps an otherwise idle client
	liveGrant, pendingAuth, pendingCode bool
	reaped                              bool // what the pass under test should do
}

// seedStale creates f's client and its dependents at base(), all of which
// are dead at now unless f asks for live state.
func seedStale(t *testing.T, s oauth.Store, f staleFixture, now time.Time) {
	t.Helper()
	ctx := t.Context()
	c := newClient(f.id, base())
	c.Source, c.LastUsedAt = f.source, f.lastUsed
	must(t, "CreateClient "+f.id, s.CreateClient(ctx, c))
	must(t, "SaveConsent "+f.id, s.SaveConsent(ctx, &oauth.Consent{UserID: "u1", ClientID: f.id, Route: "files", Scopes: []string{"a"},
		CreatedAt: base(), UpdatedAt: base()}))
	revoked := newGrant("g-revoked-"+f.id, "u1", f.id, base())
	revoked.ExpiresAt = now.Add(24 * time.Hour) // not expired, but revoked
	revoked.RevokedAt = ptr(now.Add(-time.Hour))
	must(t, "CreateGrant "+f.id, s.CreateGrant(ctx, revoked))
	rt := newRefreshToken("rt-"+f.id, revoked.ID)
	rt.ExpiresAt = now.Add(time.Hour)
	must(t, "CreateRefreshToken "+f.id, s.CreateRefreshToken(ctx, rt))
	expired := newGrant("g-expired-"+f.id, "u1", f.id, base()) // expired at base+30d
	must(t, "CreateGrant "+f.id, s.CreateGrant(ctx, expired))
	ar := newAuthRequest("ar-old-" + f.id)
	ar.ClientID = f.id
	must(t, "CreateAuthRequest "+f.id, s.CreateAuthRequest(ctx, ar))
	redeemed := newCode("code-redeemed-" + f.id)
	redeemed.ClientID, redeemed.ExpiresAt = f.id, now.Add(time.Minute)
	must(t, "CreateCode "+f.id, s.CreateCode(ctx, redeemed))
	if _, err := s.RedeemCode(ctx, redeemed.Hash, now.Add(-time.Second)); err != nil {
		t.Fatalf("RedeemCode %s: %v", f.id, err)
	}
	must(t, "UseAssertion "+f.id, s.UseAssertion(ctx, f.id, "jti-"+f.id, now.Add(time.Hour)))
	if f.liveGrant {
		g := newGrant("g-live-"+f.id, "u1", f.id, now.Add(-time.Hour))
		must(t, "CreateGrant live "+f.id, s.CreateGrant(ctx, g))
	}
	if f.pendingAuth {
		a := newAuthRequest("ar-live-" + f.id)
		a.ClientID, a.ExpiresAt = f.id, now.Add(time.Minute)
		must(t, "CreateAuthRequest live "+f.id, s.CreateAuthRequest(ctx, a))
	}
	if f.pendingCode {
		k := newCode("code-live-" + f.id)
		k.ClientID, k.ExpiresAt = f.id, now.Add(time.Minute)
		must(t, "CreateCode live "+f.id, s.CreateCode(ctx, k))
	}
}

// checkStale checks that f's client and everything naming it are gone when
// f.reaped, and all still there otherwise.
func checkStale(t *testing.T, s oauth.Store, f staleFixture, now time.Time) {
	t.Helper()
	ctx := t.Context()
	var want error
	if f.reaped {
		want = oauth.ErrNotFound
	}
	_, err := s.GetClient(ctx, f.id)
	wantErr(t, f.id+": GetClient", err, want)
	_, err = s.GetConsent(ctx, "u1", f.id, "files")
	wantErr(t, f.id+": GetConsent", err, want)
	for _, g := range []string{"g-revoked-", "g-expired-"} {
		_, err = s.GetGrant(ctx, g+f.id)
		wantErr(t, f.id+": GetGrant "+g, err, want)
	}
	_, err = s.GetRefreshToken(ctx, "rt-"+f.id)
	wantErr(t, f.id+": GetRefreshToken (cascade)", err, want)
	_, err = s.GetAuthRequest(ctx, "ar-old-"+f.id)
	wantErr(t, f.id+": GetAuthRequest", err, want)
	if _, err = s.RedeemCode(ctx, "code-redeemed-"+f.id, now); f.reaped {
		wantErr(t, f.id+": RedeemCode", err, oauth.ErrNotFound)
	} else {
		wantErr(t, f.id+": RedeemCode", err, oauth.ErrAlreadyUsed)
	}
	if err = s.UseAssertion(ctx, f.id, "jti-"+f.id, now.Add(time.Hour)); f.reaped {
		wantErr(t, f.id+": UseAssertion after reaping", err, nil)
	} else {
		wantErr(t, f.id+": UseAssertion replay", err, oauth.ErrAlreadyUsed)
	}
}

// testDeleteIdleClients: dynamically registered clients whose last token is
// older than the cutoff and that hold nothing live go, with everything that
// names them; clients with a live grant, a flow in progress, a recent token,
// no token at all, or another source stay. Concurrent passes (replicas)
// delete each client once; a later pass finds nothing.
func testDeleteIdleClients(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	now := base().Add(100 * 24 * time.Hour)
	cutoff := now.Add(-90 * 24 * time.Hour)
	old, recent := ptr(base().Add(24*time.Hour)), ptr(now.Add(-24*time.Hour))
	fixtures := []staleFixture{
		{id: "idle-1", source: oauth.SourceDCR, lastUsed: old, reaped: true},
		{id: "idle-2", source: oauth.SourceDCR, lastUsed: old, reaped: true},
		{id: "idle-3", source: oauth.SourceDCR, lastUsed: ptr(cutoff.Add(-time.Second)), reaped: true},
		{id: "live-grant", source: oauth.SourceDCR, lastUsed: old, liveGrant: true},
		{id: "pending-auth", source: oauth.SourceDCR, lastUsed: old, pendingAuth: true},
		{id: "pending-code", source: oauth.SourceDCR, lastUsed: old, pendingCode: true},
		{id: "recent", source: oauth.SourceDCR, lastUsed: recent},
		{id: "at-cutoff", source: oauth.SourceDCR, lastUsed: ptr(cutoff.Add(time.Second))},
		{id: "never-used", source: oauth.SourceDCR},
		{id: "operator", source: oauth.SourceStatic, lastUsed: old},
		{id: "https://app.example/client.json", source: oauth.SourceCIMD, lastUsed: old},
	}
	for _, f := range fixtures {
		seedStale(t, s, f, now)
	}

	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		got   = make([]int, racers)
		errs  = make([]error, racers)
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			got[i], errs[i] = s.DeleteIdleClients(ctx, cutoff, now)
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range racers {
		must(t, "DeleteIdleClients", errs[i])
		total += got[i]
	}
	if total != 3 {
		t.Fatalf("DeleteIdleClients by %d goroutines deleted %d clients in all, want 3", racers, total)
	}
	for _, f := range fixtures {
		checkStale(t, s, f, now)
	}
	if _, err := s.GetGrant(ctx, "g-live-live-grant"); err != nil {
		t.Fatalf("the live grant was deleted: %v", err)
	}
	if n, err := s.DeleteIdleClients(ctx, cutoff, now); err != nil || n != 0 {
		t.Fatalf("DeleteIdleClients again = %d, %v; want 0", n, err)
	}
}

// testDeleteUnusedClientsDependents: an unused client that got as far as
// consent goes with its consent, authorization request and code; other
// clients keep theirs.
func testDeleteUnusedClientsDependents(t *testing.T, s oauth.Store) {
	now := base().Add(48 * time.Hour)
	gone := staleFixture{id: "unused-old", source: oauth.SourceDCR, reaped: true}
	kept := staleFixture{id: "used-old", source: oauth.SourceDCR, lastUsed: ptr(base())}
	for _, f := range []staleFixture{gone, kept} {
		seedStale(t, s, f, now)
	}
	if n, err := s.DeleteUnusedClients(t.Context(), oauth.SourceDCR, now.Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteUnusedClients = %d, %v; want 1", n, err)
	}
	checkStale(t, s, gone, now)
	checkStale(t, s, kept, now)
}
