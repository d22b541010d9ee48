package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// revocationBound is the documented propagation bound (docs/gateway.md):
// the tests run the poller every 20 ms, production every 500 ms.
const revocationBound = 2 * time.Second

// TestGatewayRevokedWhileCached: a token already in the verified-token cache
// is refused once its grant is revoked, on this replica and on another one
// sharing the database, without a database read per request.
func TestGatewayRevokedWhileCached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		e := newEnv(t, s)
		up := newEchoUpstream(t)
		e.addRoute("echo", up.srv.URL+"/mcp")
		tok, grant := e.mintToken(e.user.ID, "echo", "")
		other := e.replica()
		callOther := func() int {
			req := httptest.NewRequest(http.MethodPost, e.resource("echo"), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			other.ServeHTTP(rec, req)
			return rec.Code
		}
		for range 3 { // now cached on both replicas
			resp := e.mcpPost("echo", tok, nil)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || callOther() != http.StatusOK {
				t.Fatalf("before revocation: %d here", resp.StatusCode)
			}
		}
		revoked := time.Now()
		if err := e.store.RevokeGrant(context.Background(), grant, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		var here, there time.Duration
		for here == 0 || there == 0 {
			if time.Since(revoked) > revocationBound {
				t.Fatalf("revoked token still accepted after %s (here refused after %s, other replica after %s)", revocationBound, here, there)
			}
			if here == 0 {
				resp := e.mcpPost("echo", tok, nil)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					here = time.Since(revoked)
				}
			}
			if there == 0 && callOther() == http.StatusUnauthorized {
				there = time.Since(revoked)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("revocation enforced after %s here, %s on the other replica (poll 20 ms)", here, there)
	})
}

// TestGatewayDemotionReachesCache: an administrator's cached token stops
// opening an admin-only route once they are demoted (the user entry in the
// revocation log makes every replica re-check the user).
func TestGatewayDemotionReachesCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.createRoute(&oauth.Route{Name: "ops", Upstream: up.srv.URL + "/mcp", AdminOnly: true})
	root := e.addUser("root", "root password 1", true)
	tok, _ := e.mintToken(root.ID, "ops", "")
	resp := e.mcpPost("ops", tok, nil)
	resp.Body.Close()
	wantStatus(t, resp, http.StatusOK)
	no := false
	if err := e.store.SetUserFlags(context.Background(), root.ID, oauth.UserFlags{Admin: &no}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, "a demoted administrator on the admin-only route", time.Now(), http.StatusForbidden, func() int {
		resp := e.mcpPost("ops", tok, nil)
		resp.Body.Close()
		return resp.StatusCode
	})
}

// TestGatewayRevocationEndsOpenStream: an SSE stream opened with a token
// ends soon after the token's grant is revoked, instead of running on.
func TestGatewayRevocationEndsOpenStream(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Mcp-Session-Id", "s-"+oauth.RandomString(6))
		_, _ = w.Write([]byte("id: 1\ndata: {}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // streams until the client (the gateway) goes
	}))
	t.Cleanup(func() { up.CloseClientConnections(); up.Close() })
	e := newEnv(t, dbtest.SQLite(t))
	e.addRoute("live", up.URL+"/mcp")
	tok, grant := e.mintToken(e.user.ID, "live", "")
	req, _ := http.NewRequest(http.MethodGet, e.resource("live"), nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 64)
	if n, err := resp.Body.Read(first); err != nil || !strings.Contains(string(first[:n]), "id: 1") {
		t.Fatalf("first event: %q %v", first[:n], err)
	}
	ended := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, resp.Body); close(ended) }()
	if err := e.store.RevokeGrant(context.Background(), grant, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(revocationBound):
		t.Fatalf("the stream still flows %s after its grant was revoked", revocationBound)
	}
}
