package oauth

import (
	"net"
	"net/url"
	"strings"
)

// Resource indicators (RFC 8707) and the canonical MCP server URI (AS-28, LX-2).

// RoutePathPrefix is where the gateway publishes routes under the issuer.
const RoutePathPrefix = "/mcp/"

// ResourceURL is the canonical resource URL of a route: {issuer}/mcp/{name}.
// Access tokens for the route carry it byte-for-byte as "aud".
func ResourceURL(issuer, route string) string {
	return strings.TrimRight(issuer, "/") + RoutePathPrefix + route
}

// canonicalResource normalises only what LX-2 allows: scheme and host case,
// a default port, and one trailing slash. A fragment makes it invalid
// (RFC 8707 §2).
func canonicalResource(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Fragment != "" || strings.Contains(raw, "#") || u.User != nil {
		return "", false
	}
	// No normalisation beyond LX-2: ASCII hosts only, no empty port or bare "?".
	if u.ForceQuery || strings.HasSuffix(u.Host, ":") || !isASCII(u.Host) {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	path := u.EscapedPath()
	path = strings.TrimSuffix(path, "/")
	out := scheme + "://" + host + path
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, true
}

// RouteForResource returns the route name a resource URL denotes under issuer,
// or false when it denotes none.
func RouteForResource(issuer, resource string) (string, bool) {
	got, ok := canonicalResource(resource)
	if !ok {
		return "", false
	}
	base, ok := canonicalResource(strings.TrimRight(issuer, "/") + RoutePathPrefix)
	if !ok {
		return "", false
	}
	base += "/"
	if !strings.HasPrefix(got, base) {
		return "", false
	}
	name := got[len(base):]
	if !ValidRouteName(name) {
		return "", false
	}
	return name, true
}

// ValidRouteName reports whether name is a route slug: 1–63 of [a-z0-9_-],
// starting with a letter or digit.
func ValidRouteName(name string) bool {
	if len(name) == 0 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
