package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/static"
	"github.com/latchkey/latchkey/web"
	"github.com/latchkey/latchkey/web/gateway/demo"
)

// echoUpstream records what reaches it and hands out session ids on
// requests that carry none, like a stateful MCP server.
type echoUpstream struct {
	srv  *httptest.Server
	hits atomic.Int64
	last atomic.Pointer[http.Request]
}

func newEchoUpstream(t testing.TB) *echoUpstream {
	u := &echoUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		u.last.Store(r)
		if r.Header.Get("Mcp-Session-Id") == "" {
			w.Header().Set("Mcp-Session-Id", "sess-"+oauth.RandomString(8))
		}
		w.Header().Set("Set-Cookie", "upstream=1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"path":"`+r.URL.Path+`"}}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// echoEnv is a Latchkey with route "echo" in front of an echoUpstream and a
// valid token for alice on it.
func echoEnv(t *testing.T, s web.Store) (*env, *echoUpstream, string) {
	e := newEnv(t, s)
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	tok, _ := e.mintToken(e.user.ID, "echo", "")
	return e, up, tok
}

func (e *env) addRoute(name, upstream string, scopes ...string) {
	e.t.Helper()
	if err := e.store.CreateRoute(context.Background(), &oauth.Route{Name: name, Upstream: upstream, Title: name, Scopes: scopes, CreatedAt: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

// mintToken issues a real signed access token for user on route, backed by a
// stored grant, without the browser flow.
func (e *env) mintToken(userID, route, scope string) (token, grantID string) {
	e.t.Helper()
	now := e.clock.Now()
	g := &oauth.Grant{ID: oauth.RandomString(12), ClientID: "test", UserID: userID, Route: route, Resource: e.resource(route),
		Scopes: strings.Fields(scope), CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastUsedAt: now}
	if err := e.store.CreateGrant(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.provider.Keys().Sign(&oauth.AccessClaims{Issuer: e.issuer, Subject: userID, Audience: e.resource(route),
		ClientID: "test", Scope: scope, IssuedAt: oauthDate(now), Expiry: oauthDate(now.Add(15 * time.Minute)), ID: oauth.RandomString(8), GrantID: g.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, g.ID
}

// preflight sends a browser's CORS preflight for a POST to the route.
func (e *env) preflight(route string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, e.resource(route), nil)
	req.Header.Set("Origin", e.issuer)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// demoUpstream starts the Go SDK demo MCP server on loopback for one test.
func (e *env) demoUpstream(ctx context.Context) string {
	e.t.Helper()
	u, stop, err := demo.Listen(ctx, "127.0.0.1:0", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(stop)
	return u
}

func (e *env) mcpPost(route, token string, hdr map[string]string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/mcp/"+route, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// TestGatewayChallengesAndMetadata: RS-1..RS-3, LX-9.
func TestGatewayChallengesAndMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp", "echo:read")
	resp := e.mcpPost("echo", "", nil)
	resp.Body.Close()
	want := `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/echo", scope="echo:read"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("no token: %d %q; want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	m := decodeJSON(t, e.get(http.DefaultClient, "/.well-known/oauth-protected-resource/mcp/echo"))
	if m["resource"] != e.resource("echo") || toStrings(m["authorization_servers"])[0] != e.issuer ||
		toStrings(m["bearer_methods_supported"])[0] != "header" || toStrings(m["scopes_supported"])[0] != "echo:read" {
		t.Fatalf("resource metadata = %v", m)
	}
	if r := e.get(http.DefaultClient, "/.well-known/oauth-protected-resource/mcp/nope"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("metadata of an unknown route: %d, want 404", r.StatusCode)
	}
	if up.hits.Load() != 0 {
		t.Fatal("an unauthenticated request reached the upstream (RS-10)")
	}
}

// TestGatewayTokenValidation: RS-6..RS-12, PX-7.
func TestGatewayTokenValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	e.addRoute("other", up.srv.URL+"/mcp")
	good, _ := e.mintToken(e.user.ID, "echo", "")
	forOther, _ := e.mintToken(e.user.ID, "other", "")
	revoked, grant := e.mintToken(e.user.ID, "echo", "")
	if err := e.store.RevokeGrant(context.Background(), grant, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		token  string
		query  bool
		status int
		errStr string
	}{
		{"garbage", "not.a.jwt", false, 401, `error="invalid_token"`},
		{"token for another route", forOther, false, 401, `error="invalid_token"`},
		{"revoked grant", revoked, false, 401, `error="invalid_token"`},
		{"token in query", good, true, 400, `error="invalid_request"`},
	}
	for _, tt := range tests {
		path := "echo"
		if tt.query {
			path += "?access_token=" + tt.token
			tt.token = ""
		}
		resp := e.mcpPost(path, tt.token, nil)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.errStr) ||
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata=") {
			t.Errorf("%s: %d %q; want %d with %s", tt.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.status, tt.errStr)
		}
	}
	if up.hits.Load() != 0 {
		t.Fatal("a refused request reached the upstream")
	}
	resp := e.mcpPost("echo", good, map[string]string{"Cookie": "latchkey=x"})
	b := body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(b, `"path":"/mcp"`) {
		t.Fatalf("valid token: %d %s", resp.StatusCode, b)
	}
	seen := up.last.Load()
	if seen.Header.Get("Authorization") != "" || seen.Header.Get("Cookie") != "" {
		t.Fatalf("upstream saw Authorization %q / Cookie %q (PX-7)", seen.Header.Get("Authorization"), seen.Header.Get("Cookie"))
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Fatal("the upstream's Set-Cookie reached the client")
	}
	e.clock.Advance(16 * time.Minute)
	resp = e.mcpPost("echo", good, map[string]string{"Mcp-Session-Id": resp.Header.Get("Mcp-Session-Id")})
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token (cached before): %d, want 401 invalid_token", resp.StatusCode)
	}
}

// TestGatewayOrigin: TR-2 — a foreign Origin is refused before anything else.
func TestGatewayOrigin(t *testing.T) {
	t.Parallel()
	e, up, good := echoEnv(t, dbtest.SQLite(t))
	resp := e.mcpPost("echo", good, map[string]string{"Origin": "https://evil.example"})
	b := body(t, resp)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(b, `"jsonrpc":"2.0"`) || up.hits.Load() != 0 {
		t.Fatalf("bad Origin: %d %s; want 403 JSON-RPC error and nothing upstream", resp.StatusCode, b)
	}
	resp = e.mcpPost("echo", "", map[string]string{"Origin": e.issuer})
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != e.issuer ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Fatalf("allowed Origin without token: %d %v", resp.StatusCode, resp.Header)
	}
	resp = e.preflight("echo")
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Mcp-Session-Id") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestGatewaySessionOfAnotherUser: RS-13..RS-15 — a session id is bound to
// the user who created it and never reaches the upstream with another's token.
func TestGatewaySessionOfAnotherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	bob := e.addUser("bob", "bob password 1", false)
	alice, _ := e.mintToken(e.user.ID, "echo", "")
	bobTok, _ := e.mintToken(bob.ID, "echo", "")
	resp := e.mcpPost("echo", alice, nil)
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatal("no session id passed through")
	}
	hits := up.hits.Load()
	resp = e.mcpPost("echo", bobTok, map[string]string{"Mcp-Session-Id": sid})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || up.hits.Load() != hits {
		t.Fatalf("bob with alice's session: %d (upstream hits %d→%d); want 404 and nothing upstream", resp.StatusCode, hits, up.hits.Load())
	}
	resp = e.mcpPost("echo", alice, map[string]string{"Mcp-Session-Id": sid})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alice with her session: %d", resp.StatusCode)
	}
	resp = e.mcpPost("echo", alice, map[string]string{"Mcp-Session-Id": "made-up"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown session id: %d, want 404", resp.StatusCode)
	}
}

// TestGatewayUpstreamDown: a clean 502 with a JSON-RPC error body that
// carries the request's id (JSON-RPC 2.0 §5), as every JSON-RPC-shaped
// error of the gateway does: null only when the id cannot be read.
func TestGatewayUpstreamDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addRoute("down", "http://127.0.0.1:1/mcp")
	tok, _ := e.mintToken(e.user.ID, "down", "")
	resp := e.mcpPost("down", tok, nil)
	b := body(t, resp)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(b, `"jsonrpc":"2.0"`) || strings.Contains(b, "127.0.0.1:1") {
		t.Fatalf("upstream down: %d %s", resp.StatusCode, b)
	}
	tests := []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		id               string
	}{
		{"upstream down, numeric id", "down", `{"jsonrpc":"2.0","id":41,"method":"tools/list"}`, nil, 502, `41`},
		{"upstream down, string id", "down", `{"jsonrpc":"2.0","method":"tools/list","id":"a-7"}`, nil, 502, `"a-7"`},
		{"upstream down, id after large params", "down", `{"jsonrpc":"2.0","method":"tools/call","params":{"x":"` + strings.Repeat("y", 70<<10) + `"},"id":9}`, nil, 502, `null`},
		{"upstream down, notification", "down", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil, 502, `null`},
		{"upstream down, batch", "down", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, nil, 502, `null`},
		{"upstream down, object id", "down", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, nil, 502, `null`},
		{"bad origin", "down", `{"jsonrpc":"2.0","id":5,"method":"ping"}`, map[string]string{"Origin": "https://evil.example"}, 403, `5`},
		{"unknown session", "down", `{"jsonrpc":"2.0","id":6,"method":"ping"}`, map[string]string{"Mcp-Session-Id": "nope"}, 404, `6`},
		{"dot segment", "down/%2e%2e/x", `{"jsonrpc":"2.0","id":"p","method":"ping"}`, nil, 400, `"p"`},
	}
	for _, tt := range tests {
		resp := e.rawMCP(context.Background(), http.MethodPost, tt.path, tok, "", tt.body, tt.hdr)
		var got struct {
			JSONRPC string             `json:"jsonrpc"`
			ID      json.RawMessage    `json:"id"`
			Error   struct{ Code int } `json:"error"`
		}
		raw := body(t, resp)
		if err := json.Unmarshal([]byte(raw), &got); err != nil || resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s (%v), want %d", tt.name, resp.StatusCode, raw, err, tt.status)
			continue
		}
		if got.JSONRPC != "2.0" || string(got.ID) != tt.id || got.Error.Code == 0 {
			t.Errorf("%s: body %s, want jsonrpc 2.0, id %s and an error code", tt.name, raw, tt.id)
		}
	}
}

// replica builds a second Latchkey on the same database and issuer, as
// another instance behind a load balancer would be.
func (e *env) replica() http.Handler {
	e.t.Helper()
	ctx := context.Background()
	secrets, _ := oauth.NewSecrets(bytes.Repeat([]byte("k"), 32))
	keys, err := oauth.NewKeySet(ctx, e.store, secrets, e.clock.Now, 16*time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := oauth.New(oauth.Config{Issuer: e.issuer}, e.store, keys, oauth.WithClock(e.clock.Now))
	if err != nil {
		e.t.Fatal(err)
	}
	assets, _ := static.New()
	srv, err := web.New(web.Config{Addr: "127.0.0.1:0", Issuer: e.issuer, RevocationPoll: 20 * time.Millisecond}, web.Deps{Provider: p, Store: e.store, Secrets: secrets,
		Hasher: oauth.NewHasher(oauth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, 1), Assets: assets, Clock: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	bg, stop := context.WithCancel(ctx)
	e.t.Cleanup(stop)
	go srv.RunBackground(bg)
	return srv.Handler()
}

// TestGatewaySessionBindingAcrossReplicas (PX-15): a session created through
// one replica is bound in the database, so another replica refuses it for a
// different user and accepts it for its owner.
func TestGatewaySessionBindingAcrossReplicas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		e := newEnv(t, s)
		up := newEchoUpstream(t)
		e.addRoute("echo", up.srv.URL+"/mcp")
		bob := e.addUser("bob", "bob password 1", false)
		alice, _ := e.mintToken(e.user.ID, "echo", "")
		bobTok, _ := e.mintToken(bob.ID, "echo", "")
		resp := e.mcpPost("echo", alice, nil)
		resp.Body.Close()
		sid := resp.Header.Get("Mcp-Session-Id")
		other := e.replica()
		call := func(token string) int {
			req := httptest.NewRequest(http.MethodPost, e.resource("echo"), strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Mcp-Session-Id", sid)
			rec := httptest.NewRecorder()
			other.ServeHTTP(rec, req)
			return rec.Code
		}
		if got := call(bobTok); got != http.StatusNotFound {
			t.Fatalf("bob with alice's session on the other replica: %d, want 404", got)
		}
		if got := call(alice); got != http.StatusOK {
			t.Fatalf("alice with her session on the other replica: %d, want 200", got)
		}
	})
}
