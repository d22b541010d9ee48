package web_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
)

// rawMCP sends one Streamable HTTP request through the gateway.
func (e *env) rawMCP(ctx context.Context, method, route, token, sid, body string, hdr map[string]string) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, e.resource(route), rd)
	req.Header.Set("Accept", "application/json, text/event-stream")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
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

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// visibleASCII is TR-10's alphabet for session ids.
var visibleASCII = regexp.MustCompile(`^[\x21-\x7e]+$`)

// TestGatewayStreamableHTTPContract drives the Go SDK demo server through
// the gateway with raw HTTP and checks the transport rules a proxy can break:
// TR-3/TR-5 (POST answered with JSON or SSE), TR-4 (202 for a notification),
// TR-7 (GET stream), TR-8 (a response on one stream only), TR-10/RS-14
// (session ids), TR-11 (version header reaches the upstream, which refuses a
// bad one with 400), TR-13/RS-13 (a session id never replaces the token).
func TestGatewayStreamableHTTPContract(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addRoute("demo", e.demoUpstream(ctx))
	tok, _ := e.mintToken(e.user.ID, "demo", "")

	// TR-3, TR-5, TR-10, RS-14.
	var sids []string
	for range 2 {
		resp := e.rawMCP(ctx, http.MethodPost, "demo", tok, "", initializeBody, nil)
		b := body(t, resp)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusOK || !(strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/event-stream")) || !strings.Contains(b, `"protocolVersion"`) {
			t.Fatalf("initialize: %d %q %s", resp.StatusCode, ct, b)
		}
		sid := resp.Header.Get("Mcp-Session-Id")
		if len(sid) < 16 || !visibleASCII.MatchString(sid) {
			t.Fatalf("session id %q: want ≥16 visible ASCII characters", sid)
		}
		sids = append(sids, sid)
	}
	if sids[0] == sids[1] {
		t.Fatal("two sessions got the same id (RS-14)")
	}
	sid := sids[0]

	// TR-4: a notification is accepted with 202 and no body.
	resp := e.rawMCP(ctx, http.MethodPost, "demo", tok, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	if b := body(t, resp); resp.StatusCode != http.StatusAccepted || b != "" {
		t.Fatalf("notification: %d %q, want 202 with no body", resp.StatusCode, b)
	}

	// TR-13, RS-13: the session id alone authorizes nothing, on GET or POST.
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		resp := e.rawMCP(ctx, m, "demo", "", sid, map[string]string{"GET": "", "POST": `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`}[m], nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Fatalf("%s with a session id and no token: %d, want 401", m, resp.StatusCode)
		}
	}

	// TR-11: the version header reaches the upstream, which refuses a bad one.
	resp = e.rawMCP(ctx, http.MethodPost, "demo", tok, sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, map[string]string{"Mcp-Protocol-Version": "1999-01-01"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsupported MCP-Protocol-Version: %d, want the upstream's 400", resp.StatusCode)
	}

	// TR-7: the standalone GET stream is SSE.
	get := e.rawMCP(ctx, http.MethodGet, "demo", tok, sid, "", map[string]string{"Accept": "text/event-stream"})
	if get.StatusCode != http.StatusOK || !strings.HasPrefix(get.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET stream: %d %q", get.StatusCode, get.Header.Get("Content-Type"))
	}
	streamed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(get.Body)
		get.Body.Close()
		streamed <- string(b)
	}()

	// TR-8: the response to a POST arrives on that POST only.
	resp = e.rawMCP(ctx, http.MethodPost, "demo", tok, sid, `{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"echo","arguments":{"text":"once"}}}`, nil)
	if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, `"id":77`) || !strings.Contains(b, "once") {
		t.Fatalf("tools/call: %d %s", resp.StatusCode, b)
	}
	resp = e.rawMCP(ctx, http.MethodDelete, "demo", tok, sid, "", nil)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	select {
	case s := <-streamed:
		if strings.Contains(s, `"id":77`) {
			t.Fatalf("the response was also sent on the GET stream: %q", s)
		}
	case <-ctx.Done():
		t.Fatal("the GET stream did not end after DELETE")
	}
}

// TestGatewayVersionAwareHeaders (TR-11, TR-15): the headers newer MCP
// revisions add are allowed by CORS and reach the upstream unchanged, next to
// MCP-Protocol-Version and Last-Event-ID.
func TestGatewayVersionAwareHeaders(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	sent := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "echo", "Last-Event-Id": "ev-3"}
	resp := e.mcpPost("echo", tok, sent)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	seen := up.last.Load()
	for k, v := range sent {
		if seen.Header.Get(k) != v {
			t.Errorf("upstream saw %s=%q, want %q", k, seen.Header.Get(k), v)
		}
	}
	pre := e.preflight("echo")
	allow := pre.Header.Get("Access-Control-Allow-Headers")
	for k := range sent {
		if !strings.Contains(strings.ToLower(allow), strings.ToLower(k)) {
			t.Errorf("preflight does not allow %s: %q", k, allow)
		}
	}
}
