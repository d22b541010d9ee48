package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/web/gateway/demo"
)

// TestGatewayLegacySSE (TR-12): an upstream on the 2024-11-05 HTTP+SSE
// transport works through the gateway with the Go SDK's SSE client. The
// endpoint event is rewritten onto the route, and its session parameter is
// bound to the user like MCP-Session-Id (RS-15).
func TestGatewayLegacySSE(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := newEnv(t, dbtest.SQLite(t))
	up := httptest.NewServer(demo.NewSSEServer(nil))
	t.Cleanup(func() { up.CloseClientConnections(); up.Close() })
	e.addRoute("legacy", up.URL+"/sse")
	alice, _ := e.mintToken(e.user.ID, "legacy", "")

	// The raw stream: the endpoint names the gateway, never the upstream.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.resource("legacy"), nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var endpoint string
	for endpoint == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before the endpoint event: %v", err)
		}
		if strings.HasPrefix(line, "data: ") {
			endpoint = strings.TrimSpace(strings.TrimPrefix(line, "data: "))
		}
	}
	if !strings.HasPrefix(endpoint, e.resource("legacy")+"?sessionid=") || strings.Contains(endpoint, up.URL) {
		t.Fatalf("endpoint event %q: want the route's URL with the session parameter", endpoint)
	}

	// Another user with a valid token for the route cannot post to it.
	bob := e.addUser("bob", "bob password 1", false)
	bobTok, _ := e.mintToken(bob.ID, "legacy", "")
	for _, tok := range []string{bobTok, ""} {
		post, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		post.Header.Set("Content-Type", "application/json")
		if tok != "" {
			post.Header.Set("Authorization", "Bearer "+tok)
		}
		r, err := http.DefaultClient.Do(post)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if want := map[bool]int{true: 404, false: 401}[tok != ""]; r.StatusCode != want {
			t.Fatalf("POST to alice's legacy session (token %v): %d, want %d", tok != "", r.StatusCode, want)
		}
	}

	// The SDK's legacy client completes a session end to end.
	client := mcp.NewClient(&mcp.Implementation{Name: "legacy-test", Version: "v0.0.1"}, nil)
	session, err := client.Connect(ctx, &mcp.SSEClientTransport{
		Endpoint:   e.resource("legacy"),
		HTTPClient: &http.Client{Transport: bearerTransport{token: alice, base: http.DefaultTransport}},
	}, nil)
	if err != nil {
		t.Fatalf("legacy SSE through the gateway: %v", err)
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": 2, "b": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "5" {
		t.Fatalf("add over legacy SSE = %q", got)
	}
}

// TestGatewayAmbiguousSessionRefused: spellings of a session that the
// gateway and an upstream could read differently are refused before the
// upstream sees them.
func TestGatewayAmbiguousSessionRefused(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	for _, c := range []struct {
		query string
		hdr   []string
	}{
		{"?SESSIONID=victim", nil},
		{"?SessionId=victim", nil},
		{"?x=1;sessionId=victim", nil},
		{"?a=%zz", nil},
		{"", []string{"mine", "victim"}},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.resource("echo")+c.query, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		for _, h := range c.hdr {
			req.Header.Add("Mcp-Session-Id", h)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q %v: %d, want 400", c.query, c.hdr, resp.StatusCode)
		}
	}
	if up.hits.Load() != 0 {
		t.Fatal("an ambiguous session reached the upstream")
	}
}
