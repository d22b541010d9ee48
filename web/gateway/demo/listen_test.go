package demo

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// connectURL opens a 2025-11-25 client session to an MCP endpoint URL.
func connectURL(ctx context.Context, t *testing.T, url string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "v0.0.1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: SessionProtocolVersion})
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// get sends a plain GET and returns the status, or the transport error.
func get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func TestListen(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	url, stop, err := Listen(ctx, "127.0.0.1:0", testLogger(t))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/mcp") {
		t.Fatalf("got URL %q, want http://127.0.0.1:PORT/mcp", url)
	}

	cs := connectURL(ctx, t, url) // leaves its standalone SSE GET open
	res := callText(ctx, t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "listening"}})
	if got := resultText(t, res); got != "listening" {
		t.Errorf("got text %q, want %q", got, "listening")
	}
	other := strings.TrimSuffix(url, "/mcp") + "/other"
	if got, err := get(ctx, other); err != nil || got != http.StatusNotFound {
		t.Errorf("GET /other: got %d, %v, want %d", got, err, http.StatusNotFound)
	}

	start := time.Now()
	stop()
	if d := time.Since(start); d >= shutdownTimeout {
		t.Errorf("stop took %v, want it not to wait for the open SSE stream", d)
	}
	stop() // idempotent
	if _, err := get(ctx, url); err == nil {
		t.Error("GET after stop: got a response, want a connection error")
	}
}

func TestListenStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testContext(t))
	url, stop, err := Listen(ctx, "127.0.0.1:0", testLogger(t))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cs := connectURL(ctx, t, url)
	if err := cs.Ping(ctx, nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
	cancel()
	stop() // waits for the shutdown that cancel started
	if _, err := get(t.Context(), url); err == nil {
		t.Error("GET after cancel: got a response, want a connection error")
	}
}

func TestListenRejectsNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		url, stop, err := Listen(testContext(t), addr, nil)
		if err == nil {
			stop()
			t.Errorf("Listen(%q): got %q, want an error", addr, url)
		}
	}
}
