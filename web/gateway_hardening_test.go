package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// rawGateway sends a request with an arbitrary body and headers.
func (e *env) rawGateway(method, path, token, body string, hdr map[string]string) *http.Response {
	e.t.Helper()
	resp := e.rawMCP(context.Background(), method, strings.TrimPrefix(path, "/mcp/"), token, "", body, hdr)
	resp.Body.Close()
	return resp
}

// TestGatewayStepUpStrictJSON: on a route with step-up rules, bodies the
// upstream could read differently from the gateway are refused (never
// passed on unchecked); plain requests still work.
func TestGatewayStepUpStrictJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.createRoute(&oauth.Route{Name: "vault", Upstream: up.srv.URL + "/mcp", Scopes: []string{"vault:read", "vault:delete"},
		StepUp: []oauth.StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{"vault:delete"}}}})
	tok, _ := e.mintToken(e.user.ID, "vault", "vault:read")
	bypasses := map[string]struct {
		body string
		hdr  map[string]string
	}{
		"name in another case":   {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_x","Name":"echo"}}`, nil},
		"method in another case": {`{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"ping","params":{"name":"delete_x"}}`, nil},
		"duplicate method":       {`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"delete_x"}}`, nil},
		"trailing message":       {`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n" + `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_x"}}`, nil},
		"byte order mark":        {"\ufeff" + `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_x"}}`, nil},
		"compressed":             {`not really gzip`, map[string]string{"Content-Encoding": "gzip"}},
		"not JSON":               {`{"jsonrpc":"2.0",`, nil},
		"batch with a bad item":  {`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_x","NAME":"y"}}]`, nil},
		// A JavaScript upstream copying params with Object.assign reads the
		// name from the prototype (issue 11's attack run).
		"name through __proto__":      {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"delete_all"}}}`, nil},
		"method through __proto__":    {`{"jsonrpc":"2.0","id":1,"__proto__":{"method":"tools/call"},"params":{"name":"delete_x"}}`, nil},
		"constructor key":             {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","constructor":{"name":"delete_x"}}}`, nil},
		"prototype key":               {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","prototype":{}}}`, nil},
		"tools/call without a name":   {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}`, nil},
		"tools/call with a null name": {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}`, nil},
		"tools/call with a number":    {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}`, nil},
		"tools/call params an array":  {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["delete_x"]}`, nil},
		"tools/call without params":   {`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, nil},
		"escaped proto key":           {`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"\u005f_proto__":{"name":"delete_all"}}}`, nil},
	}
	for name, b := range bypasses {
		resp := e.rawGateway(http.MethodPost, "/mcp/vault", tok, b.body, b.hdr)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, resp.StatusCode)
		}
	}
	if n := up.hits.Load(); n != 0 {
		t.Fatalf("%d ambiguous bodies reached the upstream", n)
	}
	if resp := e.rawGateway(http.MethodPost, "/mcp/vault", tok, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_x"}}`, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("plain step-up request: %d, want 403", resp.StatusCode)
	}
	if resp := e.rawGateway(http.MethodPost, "/mcp/vault", tok, `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read"}}]`, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("plain batch: %d, want 200", resp.StatusCode)
	}
}

// TestGatewayPathAndUpgrade: dot segments below a route and protocol
// upgrades are refused before the upstream.
func TestGatewayPathAndUpgrade(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	for _, p := range []string{"/mcp/echo/%2e%2e/%2e%2e/admin", "/mcp/echo/..%2f..%2fadmin", "/mcp/echo/a/%2E/b",
		// issue 11's attack run: read differently by other stacks
		"/mcp/echo/..%5C..%5Cadmin", "/mcp/echo/a/..;/admin", "/mcp/echo/%252e%252e/admin", "/mcp/echo/%252E%252E%252Fadmin",
		"/mcp/echo/%c0%ae%c0%ae/admin", "/mcp/echo/a%3Bjsessionid=x", "/mcp/echo/a%00b", "/mcp/echo/%255c", "/mcp/echo/a%0d%0ab"} {
		if resp := e.rawGateway(http.MethodPost, p, tok, `{}`, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", p, resp.StatusCode)
		}
	}
	if resp := e.rawGateway(http.MethodGet, "/mcp/echo", tok, "", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("upgrade: %d, want 400", resp.StatusCode)
	}
	if n := up.hits.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the upstream", n)
	}
	if resp := e.rawGateway(http.MethodPost, "/mcp/echo/sub/path", tok, `{}`, nil); resp.StatusCode != http.StatusOK || !strings.HasSuffix(up.last.Load().URL.Path, "/mcp/sub/path") {
		t.Errorf("a plain sub-path: %d", resp.StatusCode)
	}
}

// TestGatewayUpstreamHeaders: the upstream's CORS, HSTS, cookies and
// challenges never reach the client; its 401 becomes a 502; a 1xx does not
// wipe the gateway's headers; the operator's query parameters win.
func TestGatewayUpstreamHeaders(t *testing.T) {
	t.Parallel()
	var status atomic.Int64
	var lastQuery atomic.Pointer[string]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.RawQuery
		lastQuery.Store(&q)
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Strict-Transport-Security", "max-age=99; includeSubDomains")
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		h.Set("Set-Cookie", "a=b")
		if status.Load() == 103 {
			h.Set("Link", "</x>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		h.Set("Content-Type", "application/json")
		if s := status.Load(); s == 401 {
			w.WriteHeader(401)
		}
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, dbtest.SQLite(t))
	e.addRoute("h", up.URL+"/mcp?tenant=acme")
	tok, _ := e.mintToken(e.user.ID, "h", "")
	hdr := map[string]string{"Origin": e.issuer}
	for _, s := range []int64{200, 103} {
		status.Store(s)
		resp := e.rawGateway(http.MethodPost, "/mcp/h?tenant=evil&x=1", tok, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, hdr)
		got := resp.Header
		if resp.StatusCode != 200 || len(got.Values("Access-Control-Allow-Origin")) != 1 || got.Get("Access-Control-Allow-Origin") != e.issuer ||
			got.Get("Strict-Transport-Security") != "" || got.Get("Set-Cookie") != "" || got.Get("WWW-Authenticate") != "" || got.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("upstream status %d: client got %d %v", s, resp.StatusCode, got)
		}
		if q := *lastQuery.Load(); q != "tenant=acme&x=1" {
			t.Errorf("upstream query %q, want the operator's tenant only", q)
		}
	}
	status.Store(401)
	if resp := e.rawGateway(http.MethodPost, "/mcp/h", tok, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil); resp.StatusCode != http.StatusBadGateway || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("upstream 401: client got %d %v, want 502 without a challenge", resp.StatusCode, resp.Header)
	}
}

// TestGatewaySessionBracketQuery: qs-style session parameters are refused.
func TestGatewaySessionBracketQuery(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	for _, q := range []string{"?sessionId[]=victim", "?sessionid%5B0%5D=victim", "?sessionId.x=victim"} {
		if resp := e.rawGateway(http.MethodPost, "/mcp/echo"+q, tok, `{}`, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
	if up.hits.Load() != 0 {
		t.Fatal("a bracketed session reached the upstream")
	}
}

// TestGatewayHeaderSpellings (issue 11's attack run): headers a CGI/WSGI
// upstream merges with the gateway's own (case, "_" for "-") never reach
// it from the client: the identity header, client-address and host
// headers; the forwarded headers are the gateway's, naming the issuer's
// host; a session header in another spelling is refused before the
// upstream.
func TestGatewayHeaderSpellings(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	spoof := map[string]string{
		"X-Latchkey_User": "usr_mallory", "x_latchkey_user": "usr_mallory", "X-Real-IP": "203.0.113.9", "X_Real_IP": "203.0.113.9",
		"X-Forwarded-Host": "evil.example", "X_Forwarded_For": "203.0.113.9", "Forwarded": "for=203.0.113.9", "True-Client-IP": "203.0.113.9",
		"X-Original-URL": "/admin", "Cookie_": "x", "Proxy-Authorization": "Basic eA==",
	}
	resp := e.rawGateway(http.MethodPost, "/mcp/echo", tok, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, spoof)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("request with spoofed headers: %d", resp.StatusCode)
	}
	got := up.last.Load().Header
	for name, vs := range got {
		k := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		for _, v := range vs {
			if strings.Contains(v, "mallory") || strings.Contains(v, "203.0.113.9") || strings.Contains(v, "evil.example") || v == "/admin" {
				t.Errorf("upstream got the client's %s: %q", name, v)
			}
		}
		if k == "x-latchkey-user" && name != "X-Latchkey-User" {
			t.Errorf("upstream got a second spelling of the identity header: %s", name)
		}
	}
	iss, _ := url.Parse(e.issuer)
	if got.Get("X-Latchkey-User") != e.user.ID || got.Get("X-Forwarded-Host") != iss.Host || got.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("upstream identity/forwarded headers = %q %q %q, want %q %q http", got.Get("X-Latchkey-User"), got.Get("X-Forwarded-Host"), got.Get("X-Forwarded-Proto"), e.user.ID, iss.Host)
	}
	hits := up.hits.Load()
	for _, name := range []string{"Mcp_Session_Id", "mcp_session_id", "MCP_SESSION-ID"} {
		resp := e.rawGateway(http.MethodPost, "/mcp/echo", tok, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{name: "sess-of-bob"})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("session header spelled %s: %d, want 400", name, resp.StatusCode)
		}
	}
	if n := up.hits.Load(); n != hits {
		t.Errorf("%d requests with a variant session header reached the upstream", n-hits)
	}
}

// TestGatewayHostBinding: the gateway answers for the issuer's host only
// (DNS rebinding; upstreams keyed by Host). Case and default ports:
// TestOwnHost in web/gateway.
func TestGatewayHostBinding(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	iss, _ := url.Parse(e.issuer)
	for host, want := range map[string]int{iss.Host: 200, "evil.example": 421, "localhost:" + iss.Port(): 421, "": 421} {
		req, _ := http.NewRequest(http.MethodPost, e.resource("echo"), strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Host = host
		if host == "" {
			req.Host = " "
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, resp)
		if resp.StatusCode != want && !(host == "" && resp.StatusCode == 400) {
			t.Errorf("Host %q: %d %s, want %d", host, resp.StatusCode, b, want)
		}
	}
	if n := up.hits.Load(); n != 1 {
		t.Errorf("upstream hits = %d, want only the request for the issuer's host", n)
	}
}
