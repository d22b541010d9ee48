package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// testRevocationLog: RevokeGrant appends one entry (not on a repeat), entries
// come back in order after a seq, expired ones are hidden and deleted.
func testRevocationLog(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	at := base()
	must(t, "CreateGrant", s.CreateGrant(ctx, newGrant("g1", "u1", "c1", at)))
	must(t, "RevokeGrant", s.RevokeGrant(ctx, "g1", at))
	must(t, "RevokeGrant again", s.RevokeGrant(ctx, "g1", at.Add(time.Minute)))
	must(t, "RevokeGrant unknown", s.RevokeGrant(ctx, "missing", at))
	tok := &oauth.Revocation{Kind: oauth.RevokedToken, Ref: "jti-1", CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
	must(t, "RecordRevocation", s.RecordRevocation(ctx, tok))

	all, err := s.ListRevocations(ctx, 0, at, 100)
	must(t, "ListRevocations", err)
	if len(all) != 2 || all[0].Kind != oauth.RevokedGrant || all[0].Ref != "g1" || all[1].Seq != tok.Seq || all[0].Seq >= all[1].Seq {
		t.Fatalf("log = %+v, want the grant entry then jti-1 (seq %d)", all, tok.Seq)
	}
	if all[0].ExpiresAt.Sub(at.Add(oauth.MaxAccessTokenTTL)).Abs() > time.Millisecond {
		t.Errorf("grant entry expires %v, want revoked + MaxAccessTokenTTL", all[0].ExpiresAt)
	}
	after, err := s.ListRevocations(ctx, all[0].Seq, at, 100)
	must(t, "ListRevocations after", err)
	if len(after) != 1 || after[0].Ref != "jti-1" {
		t.Fatalf("after seq %d: %+v", all[0].Seq, after)
	}
	later := at.Add(11 * time.Minute)
	live, err := s.ListRevocations(ctx, 0, later, 100)
	must(t, "ListRevocations later", err)
	if len(live) != 1 || live[0].Ref != "g1" {
		t.Fatalf("at %v: %+v, want only the grant entry", later, live)
	}
	p, err := s.DeleteExpired(ctx, later)
	must(t, "DeleteExpired", err)
	if p.Revocations != 1 {
		t.Fatalf("deleted %d revocation entries, want 1", p.Revocations)
	}
	next := &oauth.Revocation{Kind: oauth.RevokedUser, Ref: "u1", CreatedAt: later, ExpiresAt: later.Add(time.Hour)}
	must(t, "RecordRevocation after delete", s.RecordRevocation(ctx, next))
	if next.Seq <= tok.Seq {
		t.Fatalf("seq %d reused after deletion (last was %d)", next.Seq, tok.Seq)
	}
}
