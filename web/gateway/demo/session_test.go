package demo

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// rawRequest builds a Streamable HTTP request to url. A non-empty sessionID
// goes in Mcp-Session-Id; a non-empty body is sent as a JSON-RPC POST.
func rawRequest(ctx context.Context, t *testing.T, method, url, sessionID, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
		req.Header.Set("Mcp-Protocol-Version", SessionProtocolVersion)
	}
	return req
}

// do sends req and returns the status, closing the body.
func do(t *testing.T, client *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := testContext(t)
	tc := connect(ctx, t, ts, SessionProtocolVersion, nil)

	id := tc.session.ID()
	if id == "" {
		t.Fatal("got no session ID, want one from a stateful server")
	}
	first := tc.rec.exchanges()[0]
	if first.method != http.MethodPost || first.sessionIDResp != id {
		t.Errorf("first exchange: got %s returning Mcp-Session-Id %q, want POST returning %q", first.method, first.sessionIDResp, id)
	}
	res := callText(ctx, t, tc.session, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "in session"}})
	if got := resultText(t, res); got != "in session" {
		t.Errorf("got text %q, want %q", got, "in session")
	}

	if err := tc.session.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	var deleted bool
	for _, ex := range tc.rec.exchanges() {
		if ex.method == http.MethodDelete {
			deleted = true
			if ex.sessionID != id || ex.status != http.StatusNoContent {
				t.Errorf("DELETE: got session %q status %d, want %q %d", ex.sessionID, ex.status, id, http.StatusNoContent)
			}
		}
	}
	if !deleted {
		t.Error("got no DELETE on close, want one")
	}

	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	if got := do(t, ts.Client(), rawRequest(ctx, t, http.MethodPost, ts.URL, id, ping)); got != http.StatusNotFound {
		t.Errorf("POST after DELETE: got status %d, want %d", got, http.StatusNotFound)
	}
}

// TestDefaultClientFallsBackToSessions pins what a default go-sdk v1.8.0
// client does against the demo: its server/discover probe (2026-07-28) gets
// no session and no usable version, so it initializes a 2025-11-25 session
// and deletes it on close.
func TestDefaultClientFallsBackToSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := testContext(t)
	tc := connect(ctx, t, ts, "", nil)
	if got := tc.session.InitializeResult().ProtocolVersion; got != SessionProtocolVersion {
		t.Errorf("got protocol version %q, want %q", got, SessionProtocolVersion)
	}
	id := tc.session.ID()
	if id == "" {
		t.Fatal("got no session ID, want one")
	}
	if err := tc.session.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	seen := tc.rec.exchanges()
	if len(seen) < 3 {
		t.Fatalf("got %d exchanges, want discover, initialize, …, DELETE", len(seen))
	}
	if discover := seen[0]; discover.method != http.MethodPost || discover.status != http.StatusOK || discover.sessionIDResp != "" {
		t.Errorf("discover: got %+v, want a POST answered 200 without Mcp-Session-Id", discover)
	}
	if initialize := seen[1]; initialize.method != http.MethodPost || initialize.sessionIDResp != id {
		t.Errorf("initialize: got %+v, want a POST returning Mcp-Session-Id %q", initialize, id)
	}
	i := slices.IndexFunc(seen, func(ex exchange) bool { return ex.method == http.MethodDelete })
	if i < 0 || seen[i].sessionID != id || seen[i].status != http.StatusNoContent {
		t.Errorf("close: got %+v, want a DELETE of %q answered 204", seen, id)
	}
}

// TestRejectsNonLoopbackHost pins the SDK's DNS-rebinding protection: on a
// loopback listener, a request whose Host is not loopback gets 403, so the
// gateway must send the upstream's host.
func TestRejectsNonLoopbackHost(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := testContext(t)
	req := rawRequest(ctx, t, http.MethodPost, ts.URL, "", `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	req.Host = "gateway.example"
	if got := do(t, ts.Client(), req); got != http.StatusForbidden {
		t.Errorf("got status %d, want %d", got, http.StatusForbidden)
	}
}
