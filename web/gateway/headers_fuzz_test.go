package gateway

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// cgiName is the variable a CGI/WSGI server makes of a header name
// (RFC 3875 §4.1.18), written apart from headerKey.
func cgiName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return "HTTP_" + string(b)
}

// FuzzHeaderKey: for every name an HTTP server lets through (an RFC 9110
// token), two names get the same headerKey exactly when a CGI server maps
// them to the same variable; canonicalising a name changes nothing.
func FuzzHeaderKey(f *testing.F) {
	for _, p := range [][2]string{
		{"X-Latchkey-User", "x_latchkey_user"}, {"Authorization", "AUTHORIZATION"}, {"X-Forwarded-For", "X_Forwarded-For"},
		{"Mcp-Session-Id", "Mcp_Session_Id"}, {"Cookie", "Coo\u212aie"}, {"X-Real-IP", "X-Real-\u0131P"}, {"A-B", "A--B"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if k := headerKey(a); headerKey(k) != k {
			t.Fatalf("headerKey(%q) = %q is not stable", a, k)
		}
		if !httpguts.ValidHeaderFieldName(a) || !httpguts.ValidHeaderFieldName(b) {
			return
		}
		if same, cgi := headerKey(a) == headerKey(b), cgiName(a) == cgiName(b); same != cgi {
			t.Fatalf("%q and %q: same headerKey %v, same CGI variable %v", a, b, same, cgi)
		}
		if headerKey(textproto.CanonicalMIMEHeaderKey(a)) != headerKey(a) {
			t.Fatalf("canonical %q changes headerKey(%q)", textproto.CanonicalMIMEHeaderKey(a), a)
		}
	})
}

// mustStrip are headers no client spelling of which may reach an upstream.
var mustStrip = []string{"authorization", "proxy-authorization", "cookie", "x-latchkey-user", "forwarded", "x-forwarded-for",
	"x-forwarded-host", "x-forwarded-proto", "x-real-ip", "true-client-ip", "cf-connecting-ip"}

// FuzzStripClientHeaders: after stripping, no header left maps (as a CGI
// variable) to a gateway-owned header or to the route's credential header,
// every other header is left as sent, and sessionHeaderVariant reports
// exactly the non-canonical spellings of Mcp-Session-Id.
func FuzzStripClientHeaders(f *testing.F) {
	f.Add("Authorization: Bearer x\nX-Latchkey_User: admin\nx-forwarded-for: 1.2.3.4\nAccept: */*", "X-Api-Key")
	f.Add("X_API_KEY: k\nx-api-key: k2\nMcp-Session-Id: s\nMcp_Session_Id: t", "x-api-key")
	f.Add("COOKIE: a\nProxy_Authorization: b\nForwarded: for=1\nContent-Type: application/json", "")
	f.Add("mcp-session-id: s", "Authorization")
	f.Fuzz(func(t *testing.T, spec, cred string) {
		h := http.Header{}
		for _, line := range strings.Split(spec, "\n") {
			name, value, _ := strings.Cut(line, ":")
			if name == "" {
				continue
			}
			h[name] = append(h[name], strings.TrimSpace(value)) // as sent: not canonicalised
		}
		credKey := ""
		if httpguts.ValidHeaderFieldName(cred) {
			credKey = headerKey(cred)
		}
		variant := false
		for name := range h {
			variant = variant || (name != "Mcp-Session-Id" && cgiName(name) == "HTTP_MCP_SESSION_ID")
		}
		if got := sessionHeaderVariant(h); got != variant && allTokens(h) {
			t.Fatalf("sessionHeaderVariant = %v, want %v for %q", got, variant, slices.Collect(maps.Keys(h)))
		}
		before := h.Clone()
		stripClientHeaders(h, credKey)
		for name, vs := range before {
			owned := gatewayOwnedHeaders(headerKey(name)) || (credKey != "" && headerKey(name) == credKey)
			if _, kept := h[name]; kept == owned {
				t.Fatalf("header %q: owned %v, kept %v", name, owned, kept)
			}
			if !owned && !slices.Equal(h[name], vs) {
				t.Fatalf("header %q changed from %q to %q", name, vs, h[name])
			}
		}
		for name := range h {
			if !httpguts.ValidHeaderFieldName(name) {
				continue
			}
			for _, s := range mustStrip {
				if cgiName(name) == cgiName(s) {
					t.Fatalf("header %q reaches the upstream as %s", name, cgiName(s))
				}
			}
			if credKey != "" && cgiName(name) == cgiName(cred) {
				t.Fatalf("header %q reaches the upstream as the credential header %s", name, cgiName(cred))
			}
		}
	})
}

// allTokens reports whether every header name is an RFC 9110 token.
func allTokens(h http.Header) bool {
	for name := range h {
		if !httpguts.ValidHeaderFieldName(name) {
			return false
		}
	}
	return true
}
