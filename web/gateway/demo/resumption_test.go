package demo

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestResumeFinishedStream replays, over raw HTTP, what a TypeScript SDK
// (1.32) client sends after a call that failed with a JSON-RPC error: it
// resumes the finished POST stream with Last-Event-ID and, if that GET
// brings an empty 200 stream, reconnects without Last-Event-ID, a second
// standalone GET that the go-sdk refuses with 409. The demo answers the
// empty resumption 204 instead, which tells an SSE client not to reconnect;
// a resumption with events left to replay still gets them.
func TestResumeFinishedStream(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := testContext(t)
	client := ts.Client()
	id := openSession(ctx, t, client, ts.URL)

	// The standalone GET stream the client opens after initializing.
	getCtx, cancelGet := context.WithCancel(ctx)
	defer cancelGet()
	get, err := client.Do(sseGet(getCtx, t, ts.URL, id, ""))
	if err != nil {
		t.Fatalf("standalone GET: %v", err)
	}
	defer get.Body.Close()
	if get.StatusCode != http.StatusOK {
		t.Fatalf("standalone GET: got status %d, want 200", get.StatusCode)
	}

	// A call that fails with a JSON-RPC error: a priming event, the error,
	// and the end of the stream.
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`
	resp, err := client.Do(rawRequest(ctx, t, http.MethodPost, ts.URL, id, call))
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("call: got status %d content type %q, want 200 text/event-stream", resp.StatusCode, ct)
	}
	var events []sseEvent
	r := bufio.NewReader(resp.Body)
	for {
		ev, err := readEvent(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("call: %v", err)
		}
		events = append(events, ev)
	}
	_ = resp.Body.Close()
	if len(events) != 2 || events[0].id == "" || events[0].data != "" || events[1].id == "" ||
		!strings.Contains(events[1].data, `"error"`) || strings.Contains(events[1].data, `"result"`) {
		t.Fatalf("call: got events %q, want a priming event and a JSON-RPC error, both with ids", events)
	}
	prime, last := events[0].id, events[1].id

	// Resuming after the last event: nothing is left, and the answer must
	// say so with 204 rather than an empty stream a client reconnects to.
	resp, err = client.Do(sseGet(ctx, t, ts.URL, id, last))
	if err != nil {
		t.Fatalf("resume after %s: %v", last, err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 || resp.Header.Get("Content-Type") != "" {
		t.Errorf("resume after the last event: got status %d content type %q body %q, want 204 with no content",
			resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}

	// Resuming after the priming event still replays the error.
	resp, err = client.Do(sseGet(ctx, t, ts.URL, id, prime))
	if err != nil {
		t.Fatalf("resume after %s: %v", prime, err)
	}
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" ||
		!strings.Contains(string(b), "id: "+last+"\n") || !strings.Contains(string(b), `"error"`) {
		t.Errorf("resume after the priming event: got status %d content type %q body %q, want 200 replaying event %s",
			resp.StatusCode, ct, b, last)
	}

	// What the TypeScript SDK sent after the empty 200: a second standalone
	// GET, which the go-sdk refuses while the first is open.
	if got := do(t, client, sseGet(ctx, t, ts.URL, id, "")); got != http.StatusConflict {
		t.Errorf("second standalone GET: got status %d, want the go-sdk's %d", got, http.StatusConflict)
	}
	// Errors from the SDK's GET handling still pass.
	if got := do(t, client, sseGet(ctx, t, ts.URL, id, "not-an-event-id")); got != http.StatusBadRequest {
		t.Errorf("resume with a malformed Last-Event-ID: got status %d, want %d", got, http.StatusBadRequest)
	}
	if got := do(t, client, sseGet(ctx, t, ts.URL, "no-such-session", last)); got != http.StatusNotFound {
		t.Errorf("resume in an unknown session: got status %d, want %d", got, http.StatusNotFound)
	}
}

// sseGet is a GET for an SSE stream in the session, resuming after
// lastEventID unless it is empty.
func sseGet(ctx context.Context, t *testing.T, url, sessionID, lastEventID string) *http.Request {
	t.Helper()
	req := rawRequest(ctx, t, http.MethodGet, url, sessionID, "")
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	return req
}
