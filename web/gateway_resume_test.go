package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/web/gateway/demo"
)

// resumeEvent is one server-sent event.
type resumeEvent struct{ id, data string }

// readResumeEvent reads the next event that has an id or data, skipping
// comments.
func readResumeEvent(r *bufio.Reader) (resumeEvent, error) {
	var ev resumeEvent
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

// resumeMessage is the part of a JSON-RPC message this test looks at.
type resumeMessage struct {
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

func decodeResumeEvent(t *testing.T, ev resumeEvent) resumeMessage {
	t.Helper()
	var msg resumeMessage
	if err := json.Unmarshal([]byte(ev.data), &msg); err != nil {
		t.Fatalf("event %q with data %q: %v", ev.id, ev.data, err)
	}
	return msg
}

// countingUpstream sits between the gateway and the demo server, counting
// requests and recording the headers of each GET that reaches the upstream.
type countingUpstream struct {
	hits atomic.Int64
	mu   sync.Mutex
	gets []http.Header
}

func (c *countingUpstream) getHeaders() []http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.gets...)
}

// TestGatewaySSEResumption: a tools/call stream dropped mid-way resumes
// through the gateway with GET + Last-Event-ID + Mcp-Session-Id (TR-9..TR-11),
// events stream unbuffered (TR-5), every request carries the bearer token
// (TR-13), and another user cannot resume the session (RS-13..RS-15).
func TestGatewaySSEResumption(t *testing.T) {
	t.Parallel()
	const (
		n     = 4
		delay = 150 * time.Millisecond
	)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := newEnv(t, dbtest.SQLite(t))

	demoURL, stop, err := demo.Listen(ctx, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	target, err := url.Parse(demoURL)
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingUpstream{}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		FlushInterval: -1,
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.hits.Add(1)
		if r.Method == http.MethodGet {
			counter.mu.Lock()
			counter.gets = append(counter.gets, r.Header.Clone())
			counter.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		front.CloseClientConnections() // the resumed GET may still be open
		front.Close()
	})
	upstream := front.URL + target.Path
	e.addRoute("demo", upstream)

	bob := e.addUser("bob", "bob password 1", false)
	alice, _ := e.mintToken(e.user.ID, "demo", "")
	bobTok, _ := e.mintToken(bob.ID, "demo", "")

	gw := e.resource("demo")
	client := &http.Client{}
	newReq := func(ctx context.Context, method, token, sid, body string) *http.Request {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, gw, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token) // TR-13: on every request
		req.Header.Set("Accept", "application/json, text/event-stream")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("MCP-Protocol-Version", demo.SessionProtocolVersion)
		}
		return req
	}

	// initialize and notifications/initialized.
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, demo.SessionProtocolVersion)
	resp, err := client.Do(newReq(ctx, http.MethodPost, alice, "", init))
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("initialize through the gateway: status %d session %q body %s; want 200 and a session id", resp.StatusCode, sid, b)
	}
	r := bufio.NewReader(resp.Body)
	for {
		ev, err := readResumeEvent(r)
		if err != nil {
			t.Fatalf("initialize: %v", err)
		}
		if ev.data != "" && decodeResumeEvent(t, ev).Result != nil {
			break
		}
	}
	resp.Body.Close()
	resp, err = client.Do(newReq(ctx, http.MethodPost, alice, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	if err != nil {
		t.Fatalf("initialized: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("initialized: status %d, want 202", resp.StatusCode)
	}

	// tools/call count_slowly; drop the stream after the first progress event.
	postCtx, cancelPost := context.WithCancel(ctx)
	defer cancelPost()
	call := fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"count_slowly","arguments":{"n":%d,"delay_ms":%d},"_meta":{"progressToken":"resume"}}}`, n, delay.Milliseconds())
	resp, err = client.Do(newReq(postCtx, http.MethodPost, alice, sid, call))
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("call: status %d content type %q, want 200 text/event-stream", resp.StatusCode, ct)
	}
	r = bufio.NewReader(resp.Body)
	var lastID string
	for {
		ev, err := readResumeEvent(r)
		if err != nil {
			t.Fatalf("call: %v", err)
		}
		if ev.id == "" {
			t.Fatalf("call: event without id (data %q) through the gateway", ev.data)
		}
		if ev.data == "" {
			continue // the priming event
		}
		msg := decodeResumeEvent(t, ev)
		if msg.Result != nil {
			t.Fatalf("call: the result %q arrived before any progress", ev.data)
		}
		if msg.Method == "notifications/progress" {
			if msg.Params.Progress != 1 || msg.Params.ProgressToken != "resume" {
				t.Fatalf("call: first progress = %q, want progress 1 for token resume", ev.data)
			}
			lastID = ev.id
			break
		}
	}
	firstProgressAt := time.Now()
	cancelPost()
	resp.Body.Close()

	// Bob, with his own valid token, cannot resume Alice's session; his GET
	// never reaches the upstream.
	hits := counter.hits.Load()
	req := newReq(ctx, http.MethodGet, bobTok, sid, "")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", lastID)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatalf("bob's resume: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || counter.hits.Load() != hits {
		t.Fatalf("bob resuming alice's session: status %d (upstream hits %d→%d); want 404 and nothing upstream",
			resp.StatusCode, hits, counter.hits.Load())
	}

	// Alice resumes. The upstream answers 409 until it notices the dropped
	// POST, so retry with a short backoff.
	backoff := 10 * time.Millisecond
	for {
		req := newReq(ctx, http.MethodGet, alice, sid, "")
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Last-Event-ID", lastID)
		resp, err = client.Do(req)
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		if resp.StatusCode != http.StatusConflict {
			break
		}
		resp.Body.Close()
		select {
		case <-ctx.Done():
			t.Fatalf("resume: still 409 at %v", ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("resume: status %d body %s, want 200", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("resume: content type %q, want text/event-stream", ct)
	}
	stream, _, _ := strings.Cut(lastID, "_")
	var progress []float64
	r = bufio.NewReader(resp.Body)
	for {
		ev, err := readResumeEvent(r)
		if err != nil {
			t.Fatalf("resume: %v (progress so far %v)", err, progress)
		}
		if !strings.HasPrefix(ev.id, stream+"_") {
			t.Errorf("resume: event id %q, want one on stream %q", ev.id, stream)
		}
		if ev.data == "" {
			continue
		}
		msg := decodeResumeEvent(t, ev)
		if msg.Method == "notifications/progress" {
			progress = append(progress, msg.Params.Progress)
			continue
		}
		if msg.Method != "" {
			continue // a log message, which the SDK may send
		}
		if msg.Result == nil || len(msg.Result.Content) != 1 {
			t.Fatalf("resume: got %q, want progress or the call's result", ev.data)
		}
		if got, want := msg.Result.Content[0].Text, fmt.Sprintf("counted to %d", n); got != want {
			t.Errorf("resume: result %q, want %q", got, want)
		}
		break
	}
	resultAt := time.Now()
	if got, want := fmt.Sprint(progress), "[2 3 4]"; got != want {
		t.Errorf("resume: progress %s, want %s", got, want)
	}
	// TR-5: progress 1 is sent at 1×delay and the result at n×delay, so an
	// unbuffered gateway hands progress 1 over well before the result
	// exists. A gateway that buffered the POST stream would deliver progress
	// 1 only with the result, and the gap would collapse to the resume time.
	if gap := resultAt.Sub(firstProgressAt); gap < delay {
		t.Errorf("progress 1 arrived only %v before the result, want at least %v: the gateway buffers the stream", gap, delay)
	}

	// The headers that make resumption work reached the upstream unchanged,
	// without the client's token.
	var resumed http.Header
	for _, h := range counter.getHeaders() {
		if h.Get("Last-Event-ID") != "" {
			resumed = h
		}
	}
	if resumed == nil {
		t.Fatal("no GET with Last-Event-ID reached the upstream")
	}
	if resumed.Get("Last-Event-ID") != lastID || resumed.Get("Mcp-Session-Id") != sid ||
		resumed.Get("MCP-Protocol-Version") != demo.SessionProtocolVersion || resumed.Get("Authorization") != "" ||
		resumed.Get("X-Latchkey-User") != e.user.ID {
		t.Fatalf("upstream saw Last-Event-ID %q Mcp-Session-Id %q MCP-Protocol-Version %q Authorization %q X-Latchkey-User %q; want %q %q %q, none, %q",
			resumed.Get("Last-Event-ID"), resumed.Get("Mcp-Session-Id"), resumed.Get("MCP-Protocol-Version"),
			resumed.Get("Authorization"), resumed.Get("X-Latchkey-User"), lastID, sid, demo.SessionProtocolVersion, e.user.ID)
	}
}
