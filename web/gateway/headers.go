package gateway

import (
	"net/http"
	"strings"
)

// headerKey is a header name as a CGI/WSGI-style server sees it: case and
// the difference between "_" and "-" vanish (X-Latchkey_User and
// X-LATCHKEY-USER both become HTTP_X_LATCHKEY_USER there).
func headerKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// gatewayOwnedHeaders are headers the gateway sets, removes or decides on
// for the upstream, and headers that name a client address or host: a
// client's value, in any spelling, never reaches the upstream beside (or
// instead of) the gateway's own.
func gatewayOwnedHeaders(h string) bool {
	switch h {
	case "x-latchkey-user", "authorization", "proxy-authorization", "cookie", "origin", "referer",
		"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port",
		"x-forwarded-prefix", "x-forwarded-server", "x-forwarded-scheme", "x-forwarded-ssl", "x-forwarded-uri",
		"x-original-forwarded-for", "x-original-host", "x-original-url", "x-rewrite-url", "x-host", "x-real-ip",
		"x-client-ip", "client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-cluster-client-ip",
		"x-envoy-external-address", "x-scheme", "front-end-https", "x-url-scheme":
		return true
	}
	return false
}

// stripClientHeaders deletes, in every spelling, the headers the gateway
// owns and the upstream credential's header (credKey, already normalised,
// "" when the route has none).
func stripClientHeaders(h http.Header, credKey string) {
	for name := range h {
		k := headerKey(name)
		if gatewayOwnedHeaders(k) || (credKey != "" && k == credKey) {
			delete(h, name)
		}
	}
}

// sessionHeaderVariant reports a session header in a spelling other than
// the canonical Mcp-Session-Id (Mcp_Session_Id, which WSGI servers map to
// the same variable): such a value would skip the session ownership check.
func sessionHeaderVariant(h http.Header) bool {
	for name := range h {
		if name != "Mcp-Session-Id" && headerKey(name) == "mcp-session-id" {
			return true
		}
	}
	return false
}

// ownHost reports whether a request's Host names the issuer's host, with
// the scheme's default port written or not, in any case.
func (g *Gateway) ownHost(host string) bool {
	want := g.public.Host
	if strings.EqualFold(host, want) {
		return true
	}
	def := ":443"
	if g.public.Scheme == "http" {
		def = ":80"
	}
	return strings.EqualFold(strings.TrimSuffix(host, def), strings.TrimSuffix(want, def))
}
