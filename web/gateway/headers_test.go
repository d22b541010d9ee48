package gateway

import (
	"net/url"
	"testing"
)

// TestOwnHost: the issuer's host in any case, with its scheme's default
// port written or not; nothing else.
func TestOwnHost(t *testing.T) {
	t.Parallel()
	g := &Gateway{public: &url.URL{Scheme: "https", Host: "latchkey.example"}}
	for host, want := range map[string]bool{"latchkey.example": true, "LATCHKEY.example": true, "latchkey.example:443": true,
		"latchkey.example:80": false, "latchkey.example.evil": false, "evil.example": false, "": false, "latchkey.example:8443": false} {
		if got := g.ownHost(host); got != want {
			t.Errorf("ownHost(%q) = %v, want %v", host, got, want)
		}
	}
	g = &Gateway{public: &url.URL{Scheme: "http", Host: "127.0.0.1:8080"}}
	for host, want := range map[string]bool{"127.0.0.1:8080": true, "127.0.0.1": false, "localhost:8080": false} {
		if got := g.ownHost(host); got != want {
			t.Errorf("http issuer: ownHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestHeaderKey: the CGI view of a header name.
func TestHeaderKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"X-Latchkey_User": "x-latchkey-user", "MCP_SESSION-ID": "mcp-session-id", "Host": "host"} {
		if got := headerKey(in); got != want {
			t.Errorf("headerKey(%q) = %q, want %q", in, got, want)
		}
	}
}
