package gateway

import (
	"io"
	"strings"
	"testing"
	"time"
)

// slowReader yields its parts with a pause before each.
type slowReader struct {
	parts []string
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p, s.parts[0])
	s.parts = s.parts[1:]
	return n, nil
}

func (s *slowReader) Close() error { return nil }

// TestKeepAliveComments: silence at an event boundary yields comments, never
// inside an event, and the upstream's bytes pass through unchanged.
func TestKeepAliveComments(t *testing.T) {
	t.Parallel()
	src := &slowReader{parts: []string{"id: 1\ndata: a\n\n", "id: 2\ndata: b", "\n\n"}, pause: 60 * time.Millisecond}
	got, err := io.ReadAll(newKeepAliveBody(src, 20*time.Millisecond, nil))
	if err != nil {
		t.Fatal(err)
	}
	out := string(got)
	if strings.ReplaceAll(out, ": keep-alive\n\n", "") != "id: 1\ndata: a\n\nid: 2\ndata: b\n\n" {
		t.Fatalf("relayed %q: upstream bytes changed", out)
	}
	if !strings.Contains(out, "data: a\n\n: keep-alive\n\n") {
		t.Fatalf("no comment at the silent boundary: %q", out)
	}
	if strings.Contains(out, "data: b: keep-alive") || strings.Contains(out, "data: b\n: keep") {
		t.Fatalf("a comment split an event: %q", out)
	}
}

// eofWithData returns its last bytes together with io.EOF, as http bodies may.
type eofWithData struct{ s string }

func (e *eofWithData) Read(p []byte) (int, error) {
	n := copy(p, e.s)
	e.s = e.s[n:]
	if e.s == "" {
		return n, io.EOF
	}
	return n, nil
}

func (e *eofWithData) Close() error { return nil }

// TestKeepAliveEndsWithDataAndEOF: a final read that carries data and io.EOF
// ends the stream at once instead of idling on keep-alive comments.
func TestKeepAliveEndsWithDataAndEOF(t *testing.T) {
	t.Parallel()
	done := make(chan string, 1)
	go func() {
		got, _ := io.ReadAll(newKeepAliveBody(&eofWithData{s: "data: x\n\n"}, 10*time.Millisecond, nil))
		done <- string(got)
	}()
	select {
	case got := <-done:
		if got != "data: x\n\n" {
			t.Fatalf("relayed %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end after the upstream's EOF")
	}
}

// TestEndpointRewriterFirstEventDecides: comments before the endpoint event
// are kept; a stream whose first event is something else, or whose first
// line is very long, passes through untouched.
func TestEndpointRewriterFirstEventDecides(t *testing.T) {
	t.Parallel()
	fix := func(string) (string, error) { return "REWRITTEN", nil }
	read := func(in string) string {
		b, _ := io.ReadAll(newEndpointRewriter(io.NopCloser(strings.NewReader(in)), fix))
		return string(b)
	}
	if got := read(": hi\n\nevent: endpoint\ndata: /sse?sessionid=1\n\nevent: message\ndata: {}\n\n"); got != ": hi\n\nevent: endpoint\ndata: REWRITTEN\n\nevent: message\ndata: {}\n\n" {
		t.Errorf("legacy stream: %q", got)
	}
	other := "event: message\ndata: {}\n\nevent: endpoint\ndata: /x?sessionid=1\n\n"
	if got := read(other); got != other {
		t.Errorf("a non-legacy stream was changed: %q", got)
	}
	long := "data: " + strings.Repeat("x", 20<<10) + "\n\n"
	if got := read(long); got != long {
		t.Errorf("a long first line was changed or cut (%d bytes of %d)", len(got), len(long))
	}
}
