package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testAuthRequestCRUD(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	a := newAuthRequest("req-1")
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, a))
	got, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	wantEqual(t, "auth request", got, a)

	wantErr(t, "CreateAuthRequest duplicate", s.CreateAuthRequest(ctx, newAuthRequest("req-1")), oauth.ErrConflict)
	_, err = s.GetAuthRequest(ctx, "missing")
	wantErr(t, "GetAuthRequest unknown", err, oauth.ErrNotFound)

	must(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, "req-1"))
	_, err = s.GetAuthRequest(ctx, "req-1")
	wantErr(t, "GetAuthRequest deleted", err, oauth.ErrNotFound)
	wantErr(t, "DeleteAuthRequest twice", s.DeleteAuthRequest(ctx, "req-1"), oauth.ErrNotFound)
}

func testCodeRedeem(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	c := newCode("h1")
	must(t, "CreateCode", s.CreateCode(ctx, c))
	wantErr(t, "CreateCode duplicate", s.CreateCode(ctx, newCode("h1")), oauth.ErrConflict)

	first := base().Add(10 * time.Second)
	got, err := s.RedeemCode(ctx, "h1", first)
	must(t, "RedeemCode", err)
	want := *c
	want.RedeemedAt = &first
	wantEqual(t, "redeemed code", got, &want)

	// A replay reports ErrAlreadyUsed and still returns the code, with the
	// first redemption time, so the caller can revoke what it issued.
	got, err = s.RedeemCode(ctx, "h1", first.Add(time.Second))
	wantErr(t, "RedeemCode replay", err, oauth.ErrAlreadyUsed)
	if got == nil {
		t.Fatal("RedeemCode replay: got nil code, want the code")
	}
	wantEqual(t, "replayed code", got, &want)

	_, err = s.RedeemCode(ctx, "missing", first)
	wantErr(t, "RedeemCode unknown", err, oauth.ErrNotFound)

	// Expiry is the caller's check, not the store's.
	expired := newCode("h2")
	expired.ExpiresAt = base().Add(-time.Minute)
	must(t, "CreateCode expired", s.CreateCode(ctx, expired))
	_, err = s.RedeemCode(ctx, "h2", base())
	wantErr(t, "RedeemCode expired", err, nil)
}

func testConsentUpsert(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	_, err := s.GetConsent(ctx, "u1", "c1", "files")
	wantErr(t, "GetConsent unknown", err, oauth.ErrNotFound)

	c := &oauth.Consent{
		UserID: "u1", ClientID: "c1", Route: "files",
		Scopes:    []string{"tools:read"},
		CreatedAt: base(), UpdatedAt: base(),
	}
	must(t, "SaveConsent insert", s.SaveConsent(ctx, c))
	got, err := s.GetConsent(ctx, "u1", "c1", "files")
	must(t, "GetConsent", err)
	wantEqual(t, "consent", got, c)

	// Saving again replaces scopes and UpdatedAt and keeps the first CreatedAt.
	later := base().Add(time.Hour)
	again := &oauth.Consent{
		UserID: "u1", ClientID: "c1", Route: "files",
		Scopes:    []string{"tools:read", "tools:call"},
		CreatedAt: later, UpdatedAt: later,
	}
	must(t, "SaveConsent update", s.SaveConsent(ctx, again))
	got, err = s.GetConsent(ctx, "u1", "c1", "files")
	must(t, "GetConsent", err)
	want := *again
	want.CreatedAt = base()
	wantEqual(t, "updated consent", got, &want)

	// Each of user, client and route is part of the key.
	others := []*oauth.Consent{
		{UserID: "u2", ClientID: "c1", Route: "files", CreatedAt: base(), UpdatedAt: base()},
		{UserID: "u1", ClientID: "c2", Route: "files", CreatedAt: base(), UpdatedAt: base()},
		{UserID: "u1", ClientID: "c1", Route: "mail", CreatedAt: base(), UpdatedAt: base()},
	}
	for _, o := range others {
		must(t, "SaveConsent other key", s.SaveConsent(ctx, o))
		got, err := s.GetConsent(ctx, o.UserID, o.ClientID, o.Route)
		must(t, "GetConsent other key", err)
		wantEqual(t, "other consent", got, o)
	}

	must(t, "DeleteConsent", s.DeleteConsent(ctx, "u1", "c1", "files"))
	_, err = s.GetConsent(ctx, "u1", "c1", "files")
	wantErr(t, "GetConsent deleted", err, oauth.ErrNotFound)
	wantErr(t, "DeleteConsent twice", s.DeleteConsent(ctx, "u1", "c1", "files"), oauth.ErrNotFound)
	if _, err := s.GetConsent(ctx, "u1", "c1", "mail"); err != nil {
		t.Errorf("GetConsent of another route after delete: %v", err)
	}
}
