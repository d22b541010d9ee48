package demo

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// protocols lists the two ways a go-sdk v1.8.0 client connects: asking for
// SessionProtocolVersion, or with its default, which probes 2026-07-28 with
// server/discover first and then falls back to initialize.
func protocols() []struct{ name, version string } {
	return []struct{ name, version string }{
		{name: "explicit", version: SessionProtocolVersion},
		{name: "default", version: ""}, // "" in mcp.ClientSessionOptions
	}
}

// testContext bounds a test's MCP calls.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes the server's log to the test output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startServer serves NewServer on an httptest server (on 127.0.0.1).
func startServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(NewServer(testLogger(t)))
	t.Cleanup(func() {
		ts.CloseClientConnections() // a standalone SSE GET would keep Close waiting
		ts.Close()
	})
	return ts
}

// exchange is one HTTP round trip a recorder saw.
type exchange struct {
	method        string
	status        int
	sessionID     string // Mcp-Session-Id sent by the client
	sessionIDResp string // Mcp-Session-Id returned by the server
}

// recorder is an http.RoundTripper that adds header to every request and
// records each exchange.
type recorder struct {
	base   http.RoundTripper
	header http.Header

	mu   sync.Mutex
	seen []exchange
}

// RoundTrip implements http.RoundTripper.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context()) // a RoundTripper must not modify its request
	for k, v := range r.header {
		req.Header[k] = v
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.seen = append(r.seen, exchange{
		method:        req.Method,
		status:        resp.StatusCode,
		sessionID:     req.Header.Get("Mcp-Session-Id"),
		sessionIDResp: resp.Header.Get("Mcp-Session-Id"),
	})
	r.mu.Unlock()
	return resp, nil
}

// exchanges returns a copy of what the recorder saw so far.
func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// testClient is a connected go-sdk client and what it received.
type testClient struct {
	session  *mcp.ClientSession
	rec      *recorder
	progress chan *mcp.ProgressNotificationParams
	logs     chan *mcp.LoggingMessageParams //lint:ignore SA1019 the demo still sends log messages
}

// connect opens a client session to ts with the given protocol version
// ("" for the client's default), sending header on every request.
func connect(ctx context.Context, t *testing.T, ts *httptest.Server, version string, header http.Header) *testClient {
	t.Helper()
	tc := &testClient{
		rec:      &recorder{base: ts.Client().Transport, header: header},
		progress: make(chan *mcp.ProgressNotificationParams, 64),
		logs:     make(chan *mcp.LoggingMessageParams, 64), //lint:ignore SA1019 see testClient.logs
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "v0.0.1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			tc.progress <- req.Params
		},
		//lint:ignore SA1019 see testClient.logs
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			tc.logs <- req.Params
		},
	})
	transport := &mcp.StreamableClientTransport{
		Endpoint:   ts.URL,
		HTTPClient: &http.Client{Transport: tc.rec},
	}
	session, err := client.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = session.Close() })
	tc.session = session
	return tc
}

// callText calls a tool and returns its result, failing on a protocol error.
func callText(ctx context.Context, t *testing.T, cs *mcp.ClientSession, params *mcp.CallToolParams) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(ctx, params)
	if err != nil {
		t.Fatalf("call %s: %v", params.Name, err)
	}
	return res
}

// resultText is the text of a result's single text block.
func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("got %d content blocks, want 1", len(res.Content))
	}
	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("got content %T, want *mcp.TextContent", res.Content[0])
	}
	return text.Text
}

func TestListTools(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			tc := connect(ctx, t, ts, p.version, nil)
			if got := tc.session.InitializeResult().ServerInfo.Name; got != Name {
				t.Errorf("got server name %q, want %q", got, Name)
			}
			res, err := tc.session.ListTools(ctx, nil)
			if err != nil {
				t.Fatalf("list tools: %v", err)
			}
			var names []string
			for _, tool := range res.Tools {
				names = append(names, tool.Name)
				if tool.Name == "delete_note" && (tool.Annotations == nil || tool.Annotations.DestructiveHint == nil || !*tool.Annotations.DestructiveHint) {
					t.Errorf("delete_note: got annotations %+v, want destructiveHint true", tool.Annotations)
				}
			}
			slices.Sort(names)
			want := []string{"add", "count_slowly", "delete_note", "echo", "whoami"}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("tool names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallTools(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		tool           string
		args           map[string]any
		header         http.Header
		wantText       string
		wantStructured any
	}{
		{name: "echo", tool: "echo", args: map[string]any{"text": "hello, gateway"}, wantText: "hello, gateway"},
		{name: "add", tool: "add", args: map[string]any{"a": 2.5, "b": 3}, wantText: "5.5", wantStructured: map[string]any{"sum": 5.5}},
		{name: "add negative", tool: "add", args: map[string]any{"a": -1, "b": -2}, wantText: "-3", wantStructured: map[string]any{"sum": -3.0}},
		{name: "count_slowly", tool: "count_slowly", args: map[string]any{"n": 2, "delay_ms": 1}, wantText: "counted to 2"},
		{name: "count_slowly default delay", tool: "count_slowly", args: map[string]any{"n": 1}, wantText: "counted to 1"},
		{name: "delete_note", tool: "delete_note", args: map[string]any{"id": "note-7"}, wantText: "deleted note-7"},
		{
			name: "whoami", tool: "whoami", header: http.Header{UserHeader: {"alice"}},
			wantText: "alice", wantStructured: map[string]any{"user": "alice"},
		},
		{name: "whoami without header", tool: "whoami", wantText: "no X-Latchkey-User header", wantStructured: map[string]any{"user": ""}},
	}
	ts := startServer(t)
	for _, p := range protocols() {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				ctx := testContext(t)
				tc := connect(ctx, t, ts, p.version, tt.header)
				res := callText(ctx, t, tc.session, &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
				if res.IsError {
					t.Fatalf("got error result %q", resultText(t, res))
				}
				if got := resultText(t, res); got != tt.wantText {
					t.Errorf("got text %q, want %q", got, tt.wantText)
				}
				if diff := cmp.Diff(tt.wantStructured, res.StructuredContent); diff != "" {
					t.Errorf("structured content (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestCallToolsInvalidArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tool string
		args map[string]any
	}{
		{name: "echo without text", tool: "echo", args: map[string]any{}},
		{name: "add with a string", tool: "add", args: map[string]any{"a": "1", "b": 2}},
		{name: "count_slowly n 0", tool: "count_slowly", args: map[string]any{"n": 0}},
		{name: "count_slowly n 21", tool: "count_slowly", args: map[string]any{"n": 21}},
		{name: "count_slowly n fraction", tool: "count_slowly", args: map[string]any{"n": 1.5}},
		{name: "count_slowly without n", tool: "count_slowly", args: map[string]any{"delay_ms": 1}},
		{name: "count_slowly delay too long", tool: "count_slowly", args: map[string]any{"n": 1, "delay_ms": 1001}},
		{name: "count_slowly negative delay", tool: "count_slowly", args: map[string]any{"n": 1, "delay_ms": -1}},
		{name: "count_slowly unknown argument", tool: "count_slowly", args: map[string]any{"n": 1, "m": 2}},
		{name: "delete_note empty id", tool: "delete_note", args: map[string]any{"id": ""}},
	}
	ts := startServer(t)
	ctx := testContext(t)
	tc := connect(ctx, t, ts, SessionProtocolVersion, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callText(ctx, t, tc.session, &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
			if !res.IsError {
				t.Errorf("got result %q, want an error result", resultText(t, res))
			}
		})
	}
	t.Run("unknown tool", func(t *testing.T) {
		if _, err := tc.session.CallTool(ctx, &mcp.CallToolParams{Name: "drop_table"}); err == nil {
			t.Error("got no error, want a protocol error")
		}
	})
}
