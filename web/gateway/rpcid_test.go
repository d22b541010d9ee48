package gateway

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPeekRPCID: the id of a single message is found wherever it stands
// among the members (skipping whole values), anything else is null, and
// the body the upstream reads afterwards is byte for byte what was sent.
func TestPeekRPCID(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("z", maxIDPeek)
	tests := []struct{ method, body, want string }{
		{"POST", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, `1`},
		{"POST", `{"jsonrpc":"2.0","id":-2.5e3,"method":"ping"}`, `-2.5e3`},
		{"POST", `{"method":"x","params":{"id":"inner"},"id":"outer"}`, `"outer"`},
		{"POST", ` { "id" : "sp" } `, `"sp"`},
		{"POST", `{"id":null,"method":"x"}`, `null`},
		{"POST", `{"id":true}`, `null`},
		{"POST", `{"id":[1]}`, `null`},
		{"POST", `{"method":"notifications/initialized"}`, `null`},
		{"POST", `[{"id":1}]`, `null`},
		{"POST", `not json`, `null`},
		{"POST", "\ufeff{\"id\":1}", `null`},
		{"POST", `{"id":7,"params":"` + big + `"}`, `7`},
		{"POST", `{"params":"` + big + `","id":7}`, `null`},
		{"POST", `{"params":{"a":` + strings.Repeat("[", 100) + ``, `null`},
		{"GET", `{"id":1}`, `null`},
		{"POST", ``, `null`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/mcp/x", strings.NewReader(tt.body))
		if tt.body == "" {
			r.Body = http.NoBody
		}
		if got := string(peekRPCID(r)); got != tt.want {
			t.Errorf("%.40q: id %s, want %s", tt.body, got, tt.want)
		}
		rest, err := io.ReadAll(r.Body)
		if err != nil || string(rest) != tt.body {
			t.Errorf("%.40q: body after the peek is %d bytes (%v), want the %d sent", tt.body, len(rest), err, len(tt.body))
		}
	}
}

// closingBody is an inbound body that fails any read after its end, as
// net/http's does once the response has started.
type closingBody struct {
	r     io.Reader
	ended bool
}

func (c *closingBody) Read(p []byte) (int, error) {
	if c.ended {
		return 0, errors.New("http: invalid Read on closed Body")
	}
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.ended = true
	}
	return n, err
}

func (c *closingBody) Close() error { return nil }

// TestPeekRPCIDNeverRereadsAnEndedBody: after the peek saw the end of the
// body, reads past the end (the proxy's transport does one) answer EOF
// without touching the inbound body again.
func TestPeekRPCIDNeverRereadsAnEndedBody(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/mcp/x", nil)
	r.Body = &closingBody{r: strings.NewReader(`{"jsonrpc":"2.0","id":4,"method":"ping"}`)}
	if id := string(peekRPCID(r)); id != "4" {
		t.Fatalf("id %s", id)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil || !strings.Contains(string(b), `"id":4`) {
		t.Fatalf("body after the peek: %q, %v", b, err)
	}
	if n, err := r.Body.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("read past the end: %d, %v; want 0, EOF", n, err)
	}
}
