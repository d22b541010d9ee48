package oauth

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// Fuzz targets for the redirect URI policy (LX-3). Run one with
// go test -run '^$' -fuzz '^FuzzCheckRedirectURI$' ./oauth, or all with scripts/fuzz.sh.

// redirectSeeds are URIs clients register, and the tricks that must fail.
var redirectSeeds = []string{
	"https://app.example/cb", "http://127.0.0.1/cb", "http://127.0.0.1:33418/cb?x=1", "http://[::1]:8080/",
	"http://localhost:3000/callback", "cursor://anysphere.cursor-retrieval/oauth/callback",
	"com.example.app:/oauth2redirect", "vscode://vscode.github-authentication/did-authenticate",
	"JavaScript:alert(1)", "javascript://%0aalert(1)", "data:text/html,<script>", "FILE:///etc/passwd",
	"java\tscript:alert(1)", " https://app.example/cb", "https://user:pw@app.example/cb", "https://app.example/cb#x",
	"http://127.0.0.1@evil.example/", "http://evil.example/cb", "http://127.0.0.1.evil.example/", "https://app.example\\@evil.example/",
	"ms-msdt:/id", "search-ms:query=x", "vnd.ms-excel:x", "https:", "https:///cb", "com.example:", "HTTP://127.0.0.1/cb",
	"http://[::ffff:127.0.0.1]/cb", "http://0x7f.1/cb", "http://127.1/cb", "http://[::1%25eth0]/cb", "http://127.0.0.1:/cb",
}

// schemeOf returns the scheme as a browser finds it: everything before the
// first ':', lowercased, independently of url.Parse.
func schemeOf(raw string) string {
	s, _, _ := strings.Cut(raw, ":")
	return strings.ToLower(s)
}

// FuzzCheckRedirectURI: an accepted URI never has a script, data or file
// scheme (in any case), userinfo, a fragment, whitespace or controls; http
// only on a loopback host; a private-use scheme only when not strict and
// only as a reverse domain name (or a known native scheme).
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range redirectSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, strict bool) {
		e := CheckRedirectURI(raw, strict)
		if e != nil {
			if e.Code != CodeInvalidRedirectURI {
				t.Fatalf("%q: code %q, want %q", raw, e.Code, CodeInvalidRedirectURI)
			}
			return
		}
		scheme := schemeOf(raw)
		switch scheme {
		case "javascript", "data", "file", "vbscript", "blob", "about", "filesystem", "view-source":
			t.Fatalf("%q accepted with scheme %q", raw, scheme)
		}
		if strings.ContainsAny(raw, "#") {
			t.Fatalf("%q accepted with a fragment", raw)
		}
		for i := 0; i < len(raw); i++ {
			if raw[i] <= ' ' || raw[i] == 0x7f {
				t.Fatalf("%q accepted with byte %#x", raw, raw[i])
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%q accepted but does not parse: %v", raw, err)
		}
		if u.User != nil {
			t.Fatalf("%q accepted with userinfo %q", raw, u.User)
		}
		if strings.ToLower(u.Scheme) != scheme {
			t.Fatalf("%q: url.Parse scheme %q, the string's %q", raw, u.Scheme, scheme)
		}
		switch scheme {
		case "http":
			h := u.Hostname()
			ip := net.ParseIP(h)
			if !strings.EqualFold(h, "localhost") && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("%q accepted: http on host %q", raw, h)
			}
			fallthrough
		case "https":
			if u.Host == "" {
				t.Fatalf("%q accepted without a host", raw)
			}
			// A browser reads the authority up to the first / ? or \; no '@'
			// may sit in it (the host would be what follows it).
			rest := raw[len(scheme)+1:]
			if a, ok := strings.CutPrefix(rest, "//"); ok {
				if end := strings.IndexAny(a, "/?\\"); end >= 0 {
					a = a[:end]
				}
				if strings.Contains(a, "@") {
					t.Fatalf("%q accepted with '@' in the authority %q", raw, a)
				}
			}
		default:
			if strict {
				t.Fatalf("%q accepted in strict mode with private-use scheme %q", raw, scheme)
			}
			if !strings.Contains(scheme, ".") && !nativeSchemeWithoutDot(scheme) {
				t.Fatalf("%q accepted: private-use scheme %q is not a reverse domain name", raw, scheme)
			}
			if deniedScheme(scheme) {
				t.Fatalf("%q accepted with denied scheme %q", raw, scheme)
			}
		}
		if strict && CheckRedirectURI(raw, false) != nil {
			t.Fatalf("%q accepted in strict mode but refused in lax mode", raw)
		}
	})
}

// splitLoopback cuts an http:// URI into its host and the rest, dropping
// a port of digits; ok is false for anything else. It is written apart
// from withoutLoopbackPort on purpose.
func splitLoopback(raw string) (host, rest string, ok bool) {
	after, found := strings.CutPrefix(raw, "http://")
	if !found {
		return "", "", false
	}
	end := len(after)
	for i := 0; i < len(after); i++ {
		if after[i] == '/' || after[i] == '?' || after[i] == '#' {
			end = i
			break
		}
	}
	authority, rest := after[:end], after[end:]
	host = authority
	if strings.HasPrefix(authority, "[") {
		close := strings.IndexByte(authority, ']')
		if close < 0 {
			return "", "", false
		}
		host = authority[:close+1]
		port := authority[close+1:]
		if port != "" && (port[0] != ':' || strings.Trim(port[1:], "0123456789") != "") {
			return "", "", false
		}
	} else if i := strings.IndexByte(authority, ':'); i >= 0 {
		host = authority[:i]
		if strings.Trim(authority[i+1:], "0123456789") != "" {
			return "", "", false
		}
	}
	return host, rest, true
}

// FuzzMatchRedirectURI: a requested URI matches a registered one only when
// it is the same string, or both are http loopback URIs that differ in the
// port alone; a match never has userinfo or a fragment, and when the
// registered URI passes registration the requested one does too.
func FuzzMatchRedirectURI(f *testing.F) {
	pairs := [][2]string{
		{"http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"},
		{"http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"},
		{"http://[::1]/cb", "http://[::1]:9/cb"},
		{"http://localhost/cb", "http://localhost:3000/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:1/cb?"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:1/CB"},
		{"http://127.0.0.1/cb", "HTTP://127.0.0.1:1/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:1@evil.example/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:1/cb#frag"},
		{"http://127.0.0.1/cb", "http://127.0.0.2:1/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:1x/cb"},
		{"https://app.example/cb", "https://app.example:444/cb"},
		{"https://127.0.0.1/cb", "https://127.0.0.1:8443/cb"},
		{"cursor://anysphere.cursor-retrieval/cb", "cursor://anysphere.cursor-retrieval/cb"},
		{"http://127.0.0.1:80/cb", "http://127.0.0.1:/cb"},
		{"http://[::1]:80/cb", "http://[::1:80]/cb"},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if !MatchRedirectURI([]string{registered}, requested) {
			return
		}
		if registered == requested {
			return
		}
		rh, rrest, ok1 := splitLoopback(registered)
		qh, qrest, ok2 := splitLoopback(requested)
		if !ok1 || !ok2 || rh != qh || rrest != qrest {
			t.Fatalf("%q matched registered %q but differs in more than a port", requested, registered)
		}
		if !IsLoopbackHost(qh) {
			t.Fatalf("%q matched %q with a port change on non-loopback host %q", requested, registered, qh)
		}
		if strings.Contains(requested, "#") {
			t.Fatalf("%q matched %q with a fragment", requested, registered)
		}
		u, err := url.Parse(requested)
		if err != nil || u.User != nil {
			t.Fatalf("%q matched %q: parse %v, userinfo %v", requested, registered, err, u.User)
		}
		if CheckRedirectURI(registered, false) == nil {
			if e := CheckRedirectURI(requested, false); e != nil {
				t.Fatalf("%q matched registrable %q but would not be registrable: %v", requested, registered, e)
			}
		}
	})
}
