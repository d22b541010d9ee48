package gateway

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/oauth"
)

// logStore serves a fixed revocation log to the follower.
type logStore struct {
	Store
	log []*oauth.Revocation
}

func (l *logStore) ListRevocations(_ context.Context, after int64, _ time.Time, limit int) ([]*oauth.Revocation, error) {
	var out []*oauth.Revocation
	for _, r := range l.log {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func cached(g *Gateway, jti string, now time.Time) {
	g.tokens.put(tokenKey(jti), "aud", &oauth.AccessClaims{ID: jti, GrantID: "g-" + jti, Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, &oauth.User{}, now, g.tokens.generation())
}

// TestRevocationFollowerGaps: a hole that a late commit fills is applied; a
// hole that never fills, or a jump too large to follow, empties the cache
// instead of leaving a revoked token usable.
func TestRevocationFollowerGaps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	st := &logStore{}
	g := &Gateway{store: st, tokens: newTokenCache(100), streams: newStreamRegistry(), clock: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f := &revocationFollower{gaps: map[int64]time.Time{}}
	st.log = []*oauth.Revocation{{Seq: 1, Kind: oauth.RevokedToken, Ref: "x"}}
	if err := g.pollRevocations(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	cached(g, "a", now)
	cached(g, "b", now)
	// Seq 3 commits before seq 2: 2 is a hole, re-read until it appears.
	st.log = append(st.log, &oauth.Revocation{Seq: 3, Kind: oauth.RevokedToken, Ref: "b"})
	_ = g.pollRevocations(context.Background(), f)
	st.log = append(st.log, &oauth.Revocation{Seq: 2, Kind: oauth.RevokedToken, Ref: "a"})
	_ = g.pollRevocations(context.Background(), f)
	if c, _ := g.tokens.get(tokenKey("a"), "aud", now); c != nil {
		t.Fatal("a revocation that committed late was not applied")
	}
	// A hole that never fills: after the wait, the cache is emptied.
	cached(g, "c", now)
	st.log = append(st.log, &oauth.Revocation{Seq: 5, Kind: oauth.RevokedToken, Ref: "other"})
	_ = g.pollRevocations(context.Background(), f)
	if c, _ := g.tokens.get(tokenKey("c"), "aud", now); c == nil {
		t.Fatal("an unrelated entry evicted c early")
	}
	now = now.Add(revocationGapWait + time.Second)
	_ = g.pollRevocations(context.Background(), f)
	if c, _ := g.tokens.get(tokenKey("c"), "aud", now); c != nil {
		t.Fatal("a hole that never filled left the cache as it was")
	}
	// A jump past what can be followed empties the cache too.
	cached(g, "d", now)
	st.log = append(st.log, &oauth.Revocation{Seq: 5 + maxTrackedGap + 10, Kind: oauth.RevokedToken, Ref: "other"})
	_ = g.pollRevocations(context.Background(), f)
	if c, _ := g.tokens.get(tokenKey("d"), "aud", now); c != nil {
		t.Fatal("a jump too large to follow left the cache as it was")
	}
}
