package web_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/latchkey/latchkey/db/dbtest"
)

// bearerTransport adds the access token to every request, as MCP clients
// must (RS-12, TR-13), and tries to spoof the user header.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	r.Header.Set("X-Latchkey-User", "spoofed")
	return b.base.RoundTrip(r)
}

// TestGatewayGoSDKEndToEnd: the official Go SDK client, with a token from the
// real login/consent/code flow, talks through the gateway to the Go SDK demo
// server: tools/list, tools/call with streamed progress, session reuse, DELETE.
func TestGatewayGoSDKEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addRoute("demo", e.demoUpstream(ctx), "tools:read", "tools:call")
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "demo", "")
	_, tok := e.exchange(reg.ClientID, code, cb, verifier)

	progress := make(chan *mcp.ProgressNotificationParams, 16)
	client := mcp.NewClient(&mcp.Implementation{Name: "gateway-test", Version: "v0.0.1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) { progress <- req.Params },
	})
	transport := &mcp.StreamableClientTransport{
		Endpoint:   e.resource("demo"),
		HTTPClient: &http.Client{Transport: bearerTransport{token: tok["access_token"].(string), base: http.DefaultTransport}},
		MaxRetries: -1,
	}
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("connect through the gateway: %v", err)
	}
	sid := session.ID()
	if sid == "" {
		t.Fatal("no MCP session id through the gateway")
	}

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"echo", "add", "count_slowly", "delete_note", "whoami"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list = %v, missing %s", names, want)
		}
	}

	who, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if got := who.Content[0].(*mcp.TextContent).Text; got != e.user.ID {
		t.Errorf("upstream saw user %q, want %q (set by the gateway, not the client)", got, e.user.ID)
	}

	params := &mcp.CallToolParams{Name: "count_slowly", Arguments: map[string]any{"n": 3, "delay_ms": 20}}
	params.SetProgressToken("p1")
	res, err := session.CallTool(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "counted to 3" {
		t.Errorf("count_slowly = %q", got)
	}
	for i := range 3 {
		select {
		case p := <-progress:
			if p.ProgressToken != "p1" {
				t.Errorf("progress token %v", p.ProgressToken)
			}
		case <-ctx.Done():
			t.Fatalf("got %d of 3 progress notifications through the gateway", i)
		}
	}
	if session.ID() != sid {
		t.Fatal("the session changed between calls")
	}
	if err := session.Close(); err != nil {
		t.Fatalf("close (DELETE through the gateway): %v", err)
	}
	resp := e.mcpPost("demo", tok["access_token"].(string), map[string]string{"Mcp-Session-Id": sid})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the deleted session: %d, want 404", resp.StatusCode)
	}
}
