package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	id, data string
}

// readEvent reads the next event that has an id or data, skipping comments.
func readEvent(r *bufio.Reader) (sseEvent, error) {
	var ev sseEvent
	var data []string
	seen := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if seen {
				ev.data = strings.Join(data, "\n")
				return ev, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.id = value
		case "data":
			data = append(data, value)
		}
	}
}

// rpcMessage is the part of a JSON-RPC message these tests look at.
type rpcMessage struct {
	Method string `json:"method"`
	Params struct {
		ProgressToken string  `json:"progressToken"`
		Progress      float64 `json:"progress"`
	} `json:"params"`
	Result *struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
}

// decode parses an event's data, which must be a JSON-RPC message.
func decode(t *testing.T, ev sseEvent) rpcMessage {
	t.Helper()
	var msg rpcMessage
	if err := json.Unmarshal([]byte(ev.data), &msg); err != nil {
		t.Fatalf("event %q: %v", ev.id, err)
	}
	return msg
}

// openSession initializes a 2025-11-25 session over raw HTTP and returns
// its ID.
func openSession(ctx context.Context, t *testing.T, client *http.Client, url string) string {
	t.Helper()
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, SessionProtocolVersion)
	resp, err := client.Do(rawRequest(ctx, t, http.MethodPost, url, "", init))
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	defer resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: got status %d session %q, want 200 and a session ID", resp.StatusCode, id)
	}
	r := bufio.NewReader(resp.Body)
	for {
		ev, err := readEvent(r)
		if err != nil {
			t.Fatalf("initialize: %v", err)
		}
		if ev.data != "" && decode(t, ev).Result != nil {
			break
		}
	}
	initialized := `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	if got := do(t, client, rawRequest(ctx, t, http.MethodPost, url, id, initialized)); got != http.StatusAccepted {
		t.Fatalf("initialized: got status %d, want %d", got, http.StatusAccepted)
	}
	return id
}

// resume sends GET with Last-Event-ID. Until the server notices that the
// interrupted POST has gone, it answers 409 (the stream is still claimed),
// so resume retries on 409 until ctx ends.
func resume(ctx context.Context, t *testing.T, client *http.Client, url, sessionID, lastEventID string) *http.Response {
	t.Helper()
	for {
		req := rawRequest(ctx, t, http.MethodGet, url, sessionID, "")
		req.Header.Set("Last-Event-ID", lastEventID)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		if resp.StatusCode != http.StatusConflict {
			return resp
		}
		_ = resp.Body.Close()
		select {
		case <-ctx.Done():
			t.Fatalf("resume: still 409 at %v", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestResumeWithLastEventID(t *testing.T) {
	t.Parallel()
	const n = 4
	ts := startServer(t)
	ctx := testContext(t)
	client := ts.Client()
	id := openSession(ctx, t, client, ts.URL)

	// Start count_slowly and drop the connection after the first progress.
	postCtx, cancelPost := context.WithCancel(ctx)
	call := fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"count_slowly","arguments":{"n":%d,"delay_ms":50},"_meta":{"progressToken":"resume"}}}`, n)
	resp, err := client.Do(rawRequest(postCtx, t, http.MethodPost, ts.URL, id, call))
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("call: got status %d content type %q, want 200 text/event-stream", resp.StatusCode, ct)
	}
	r := bufio.NewReader(resp.Body)
	var lastID string
	for {
		ev, err := readEvent(r)
		if err != nil {
			t.Fatalf("call: %v", err)
		}
		if ev.id == "" {
			t.Fatalf("call: got event without id (data %q), want ids from the event store", ev.data)
		}
		lastID = ev.id
		if ev.data != "" && decode(t, ev).Method == "notifications/progress" {
			break
		}
	}
	cancelPost()
	_ = resp.Body.Close()

	// Resume: the rest of the progress and the result arrive on the GET.
	resp = resume(ctx, t, client, ts.URL, id, lastID)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resume: got status %d, want %d", resp.StatusCode, http.StatusOK)
	}
	stream, _, _ := strings.Cut(lastID, "_")
	var progress []float64
	r = bufio.NewReader(resp.Body)
	for {
		ev, err := readEvent(r)
		if err != nil {
			t.Fatalf("resume: %v (progress so far %v)", err, progress)
		}
		if !strings.HasPrefix(ev.id, stream+"_") {
			t.Errorf("resume: got event id %q, want one on stream %q", ev.id, stream)
		}
		msg := decode(t, ev)
		if msg.Method == "notifications/progress" {
			progress = append(progress, msg.Params.Progress)
			continue
		}
		if msg.Result == nil || len(msg.Result.Content) != 1 {
			t.Fatalf("resume: got %q, want progress or the call's result", ev.data)
		}
		if got, want := msg.Result.Content[0].Text, fmt.Sprintf("counted to %d", n); got != want {
			t.Errorf("resume: got result %q, want %q", got, want)
		}
		break
	}
	if got, want := fmt.Sprint(progress), "[2 3 4]"; got != want {
		t.Errorf("resume: got progress %s, want %s", got, want)
	}

	if got := do(t, client, rawRequest(ctx, t, http.MethodDelete, ts.URL, id, "")); got != http.StatusNoContent {
		t.Errorf("DELETE: got status %d, want %d", got, http.StatusNoContent)
	}
}
