package oauth

import (
	"net/url"
	"strings"
	"testing"
)

// fuzzIssuers are issuer shapes the config accepts: a path, a port, an
// IPv6 loopback, a trailing slash, upper case.
var fuzzIssuers = []string{
	"https://lk.example", "https://LK.Example:443/base", "http://127.0.0.1:8080", "https://[::1]:8443/x/", "https://lk.example/",
}

// FuzzRouteForResource: a resource RFC 8707 request names maps to a route
// only when it is that route's ResourceURL up to what LX-2 allows (scheme
// and host case, a default port, one trailing slash), and the route's own
// ResourceURL maps back to it (the "aud" a token carries).
func FuzzRouteForResource(f *testing.F) {
	for i := range fuzzIssuers {
		for _, r := range []string{
			"https://lk.example/mcp/files", "HTTPS://LK.EXAMPLE:443/mcp/files/", "https://lk.example/mcp/files//",
			"https://lk.example/mcp/files?x=1", "https://lk.example/mcp/files#f", "https://u@lk.example/mcp/files",
			"https://lk.example/mcp/%66iles", "https://lk.example/mcp/files/../admin", "https://lk.example:444/mcp/files",
			"https://lk.example./mcp/files", "https://lk.example/mcp/Files", "https://lk.example/mcp/-x", "https://lk.example/MCP/files",
			"https://LK.Example/base/mcp/notes", "http://127.0.0.1:8080/mcp/a_b", "https://[::1]:8443/x/mcp/n1", "https://lk.example/mcp/files?",
			"https://lk.example:/mcp/files", "https://lk%2eexample/mcp/files", "https://lk.example/mcp/files%2f",
		} {
			f.Add(uint8(i), r)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, resource string) {
		issuer := fuzzIssuers[int(which)%len(fuzzIssuers)]
		// Every route name round-trips through its canonical URL.
		if ValidRouteName(resource) {
			if got, ok := RouteForResource(issuer, ResourceURL(issuer, resource)); !ok || got != resource {
				t.Fatalf("issuer %q: ResourceURL(%q) maps to %q, %v", issuer, resource, got, ok)
			}
		}
		name, ok := RouteForResource(issuer, resource)
		if !ok {
			return
		}
		if !ValidRouteName(name) {
			t.Fatalf("%q: route %q is not a valid route name", resource, name)
		}
		canon := ResourceURL(issuer, name)
		if back, ok := RouteForResource(issuer, canon); !ok || back != name {
			t.Fatalf("%q → %q, but its ResourceURL %q → %q, %v", resource, name, canon, back, ok)
		}
		got, ok1 := canonicalResource(resource)
		want, ok2 := canonicalResource(canon)
		if !ok1 || !ok2 || got != want {
			t.Fatalf("%q canonicalises to %q, its route's URL %q to %q", resource, got, canon, want)
		}
		// Independently of canonicalResource: only what LX-2 allows differs.
		u, err := url.Parse(resource)
		iu, _ := url.Parse(strings.TrimRight(issuer, "/"))
		if err != nil {
			t.Fatalf("%q accepted but does not parse: %v", resource, err)
		}
		switch {
		case u.User != nil, u.Fragment != "", strings.Contains(resource, "#"), u.RawQuery != "", u.ForceQuery:
			t.Fatalf("%q accepted with userinfo, fragment or query", resource)
		case !strings.EqualFold(u.Scheme, iu.Scheme), !strings.EqualFold(u.Hostname(), iu.Hostname()):
			t.Fatalf("%q accepted for issuer %q: scheme or host differ", resource, issuer)
		case effectivePort(u) != effectivePort(iu):
			t.Fatalf("%q accepted for issuer %q: port %q, want %q", resource, issuer, effectivePort(u), effectivePort(iu))
		}
		if p := strings.TrimSuffix(u.EscapedPath(), "/"); p != iu.EscapedPath()+RoutePathPrefix+name {
			t.Fatalf("%q accepted for issuer %q: path %q, want %q", resource, issuer, p, iu.EscapedPath()+RoutePathPrefix+name)
		}
	})
}

// effectivePort is the URL's port with the scheme default filled in.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
