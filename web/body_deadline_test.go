package web_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
)

// TestSlowBodiesAreCutOff (issue 11): a request body sent at a byte per
// 100 ms is cut off after the body read timeout on the token endpoint,
// while a gateway POST whose SSE response lasts longer than the timeout
// streams to its end (the deadline covers the body only).
func TestSlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 400 * time.Millisecond
	e := newEnv(t, dbtest.SQLite(t), envOpts{bodyReadTimeout: timeout})
	u, _ := url.Parse(e.issuer)

	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = io.WriteString(c, "POST /token HTTP/1.1\r\nHost: "+u.Host+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n")
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.ReadAll(c) // until the server answers and closes, or closes
		closed <- time.Since(start)
	}()
	for i := 0; i < 100; i++ {
		if _, err := c.Write([]byte("g")); err != nil {
			break
		}
		select {
		case d := <-closed:
			closed <- d
			i = 100
		case <-time.After(100 * time.Millisecond):
		}
	}
	select {
	case d := <-closed:
		if d > timeout+3*time.Second {
			t.Errorf("slow body cut off after %s, want about %s", d, timeout)
		}
		t.Logf("slow /token body cut off after %s (timeout %s)", d.Round(time.Millisecond), timeout)
	case <-time.After(10 * time.Second):
		t.Fatal("a body sent at a byte per 100 ms was never cut off")
	}

	// The gateway streams: a long SSE answer is not cut, and it begins at
	// once (no deadline held on its connection).
	sent := time.Now()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 4 {
			_, _ = io.WriteString(w, "id: "+string(rune('0'+i))+"\ndata: {}\n\n")
			http.NewResponseController(w).Flush()
			time.Sleep(timeout / 2)
		}
	}))
	t.Cleanup(up.Close)
	e.addRoute("slow", up.URL+"/mcp")
	tok, _ := e.mintToken(e.user.ID, "slow", "")
	req, _ := http.NewRequest(http.MethodPost, e.resource("slow"), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if d := time.Since(sent); d > timeout {
		t.Errorf("the gateway's answer began after %s", d)
	}
	events := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data:") {
			events++
		}
	}
	if events != 4 {
		t.Errorf("SSE response lasting %s delivered %d of 4 events (%v)", 2*timeout, events, sc.Err())
	}
}
