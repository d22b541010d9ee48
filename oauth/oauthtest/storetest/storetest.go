// Package storetest is the conformance suite every oauth.Store backend runs:
// the bun-backed db.Store on SQLite and Postgres, and in-memory fakes. It
// checks behaviour only through the oauth.Store interface, so it imports no
// backend.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/latchkey/latchkey/oauth"
)

// Run runs the conformance suite. newStore must return an empty, ready store
// of its own for every call; the subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) oauth.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s oauth.Store)
	}{
		{"Ping", testPing},
		{"Client/RoundTrip", testClientRoundTrip},
		{"Client/Errors", testClientErrors},
		{"Client/Update", testClientUpdate},
		{"Client/DeleteAndTouch", testClientDeleteAndTouch},
		{"Client/List", testClientList},
		{"User/RoundTrip", testUserRoundTrip},
		{"User/Errors", testUserErrors},
		{"User/Update", testUserUpdate},
		{"User/TargetedUpdates", testUserTargetedUpdates},
		{"User/List", testUserList},
		{"Route/CRUD", testRouteCRUD},
		{"Route/List", testRouteList},
		{"AuthRequest/CRUD", testAuthRequestCRUD},
		{"Code/Redeem", testCodeRedeem},
		{"Code/RedeemConcurrent", testCodeRedeemConcurrent},
		{"Code/RedeemConcurrentInTx", testCodeRedeemConcurrentInTx},
		{"Grant/RoundTrip", testGrantRoundTrip},
		{"Grant/List", testGrantList},
		{"Grant/TouchAndRevoke", testGrantTouchAndRevoke},
		{"Revocation/Log", testRevocationLog},
		{"Trust/Store", testTrustStore},
		{"Cleanup/DeleteExpired", testDeleteExpired},
		{"Cleanup/DeleteIdleClients", testDeleteIdleClients},
		{"Cleanup/DeleteUnusedClientsDependents", testDeleteUnusedClientsDependents},
		{"Console/Audit", testAuditLog},
		{"Console/Metrics", testMetrics},
		{"Console/RouteUpdateAndConsents", testRouteUpdateAndConsents},
		{"RefreshToken/Use", testRefreshTokenUse},
		{"RefreshToken/UseConcurrent", testRefreshTokenUseConcurrent},
		{"Consent/Upsert", testConsentUpsert},
		{"SigningKey/CreateListRetire", testSigningKeys},
		{"InTx/Commit", testInTxCommit},
		{"InTx/Rollback", testInTxRollback},
		{"InTx/Nested", testInTxNested},
		{"InTx/RedeemRollsBack", testInTxRedeemRollsBack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// base is the suite's reference time. Its nanoseconds check that stores keep
// at least millisecond precision; times compare within a millisecond.
func base() time.Time { return time.Date(2026, 11, 25, 10, 30, 0, 123456789, time.UTC) }

// ptr returns a pointer to a copy of t.
func ptr(t time.Time) *time.Time { return &t }

// diffOpts treats nil and empty slices alike and compares times within a
// millisecond and by location, so every returned time must be in UTC.
func diffOpts() cmp.Options {
	return cmp.Options{
		cmpopts.EquateEmpty(),
		cmp.Comparer(func(a, b time.Time) bool {
			d := a.Sub(b)
			return d < time.Millisecond && d > -time.Millisecond && a.Location() == b.Location()
		}),
	}
}

// wantEqual fails the test when got differs from want.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, diffOpts()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantErr fails the test unless errors.Is(err, target); a nil target wants no error.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: got error %v, want none", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails the test at once on an unexpected error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testPing(t *testing.T, s oauth.Store) {
	must(t, "Ping", s.Ping(t.Context()))
}
