package oauth

import (
	"fmt"
	"net/url"
	"strings"
)

// Redirect URI policy (LX-3; OAuth 2.1 §2.3.1 and §7.12; RFC 8252 §7; AS-20, AS-21).

// deniedScheme reports schemes that are never acceptable redirect targets,
// whatever their case: browser pseudo-schemes, schemes that run or show
// local content, and operating-system protocol handlers that a redirect
// would launch (ms-msdt: "Follina", search-ms:, ms-officecmd:).
func deniedScheme(s string) bool {
	switch s {
	case "javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "ftp", "ws", "wss",
		"view-source", "jar", "mhtml", "mk", "its", "ms-its", "res", "shell", "intent", "content", "resource",
		"chrome", "chrome-extension", "edge", "moz-extension", "opera", "brave", "search", "search-ms",
		"x-apple.systempreferences", "x-apple-helpbasic", "help", "telnet", "ssh", "smb", "nfs", "afp",
		"mailto", "tel", "sms", "callto", "facetime", "steam", "itms-services":
		return true
	}
	return strings.HasPrefix(s, "ms-") || strings.HasPrefix(s, "vnd.ms-")
}

// nativeSchemeWithoutDot reports the private-use schemes of MCP clients
// that predate RFC 8252 §7.1's reverse-domain rule and are accepted
// although they have no dot (Cursor registers cursor://…).
func nativeSchemeWithoutDot(s string) bool {
	switch s {
	case "cursor", "vscode", "vscode-insiders", "windsurf", "zed":
		return true
	}
	return false
}

// CheckRedirectURI validates one redirect URI at registration time. strict
// refuses private-use schemes (native apps like cursor://). The error is an
// invalid_redirect_uri that names the URI (Cursor registers several at once).
func CheckRedirectURI(raw string, strict bool) *Error {
	bad := func(why string) *Error {
		return InvalidRedirectURI(fmt.Sprintf("redirect_uri %q %s", raw, why))
	}
	if raw == "" {
		return InvalidRedirectURI("redirect_uri must not be empty")
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return bad("contains whitespace or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return bad("is not an absolute URI")
	}
	scheme := strings.ToLower(u.Scheme)
	// OAuth 2.1 §2.3.1: redirect URIs MUST NOT include a fragment.
	if strings.Contains(raw, "#") {
		return bad("must not contain a fragment")
	}
	if u.User != nil {
		return bad("must not contain userinfo")
	}
	if deniedScheme(scheme) {
		return bad("uses a forbidden scheme")
	}
	switch scheme {
	case "https":
		if u.Host == "" {
			return bad("has no host")
		}
	case "http":
		// AS-20: plain http only for loopback redirects (RFC 8252 §7.3).
		if u.Host == "" || !IsLoopbackHost(u.Hostname()) {
			return bad("uses http on a non-loopback host; use https")
		}
	default:
		// RFC 8252 §7.1 private-use URI scheme for native apps.
		if strict {
			return bad("uses a private-use scheme, which this server does not accept")
		}
		if u.Opaque == "" && u.Host == "" && u.Path == "" {
			return bad("has nothing after the scheme")
		}
		// RFC 8252 §7.1: a reverse domain name the app controls
		// (com.example.app:/cb), so it cannot be an OS or browser handler.
		if !strings.Contains(scheme, ".") && !nativeSchemeWithoutDot(scheme) {
			return bad("uses a private-use scheme that is not a reverse domain name (RFC 8252 §7.1), such as com.example.app")
		}
	}
	return nil
}

// isLoopbackRedirect reports whether u is an http(s) redirect to a loopback host.
func isLoopbackRedirect(u *url.URL) bool {
	s := strings.ToLower(u.Scheme)
	return (s == "http" || s == "https") && IsLoopbackHost(u.Hostname())
}

// MatchRedirectURI reports whether requested equals one of the registered
// URIs by exact string comparison (AS-21, PX-5), except that for loopback
// hosts the port may differ or be absent (RFC 8252 §7.3; OAuth 2.1 §8.4.2).
func MatchRedirectURI(registered []string, requested string) bool {
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	req, err := url.Parse(requested)
	if err != nil || !isLoopbackRedirect(req) || req.User != nil || req.Fragment != "" {
		return false
	}
	// Byte-for-byte but for the port (RFC 8252 §7.3): no case folding of
	// the scheme, and a trailing "?" is not the same URI.
	want, ok := withoutLoopbackPort(requested)
	if !ok {
		return false
	}
	for _, r := range registered {
		reg, err := url.Parse(r)
		if err != nil || !isLoopbackRedirect(reg) {
			continue
		}
		if got, ok := withoutLoopbackPort(r); ok && got == want {
			return true
		}
	}
	return false
}

// withoutLoopbackPort returns an http:// URI with the port (if any) cut
// from its authority, leaving every other byte as written.
func withoutLoopbackPort(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.HasSuffix(authority, "]") {
		for _, c := range authority[i+1:] {
			if c < '0' || c > '9' {
				return "", false
			}
		}
		authority = authority[:i]
	}
	return "http://" + authority + rest[end:], true
}

// LoopbackOnly reports whether every URI redirects to the user's own device,
// which the consent page warns about (AS-13).
func LoopbackOnly(uris []string) bool {
	if len(uris) == 0 {
		return false
	}
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil || !isLoopbackRedirect(u) {
			return false
		}
	}
	return true
}

// redirectWith appends params to the redirect URI's query, keeping its own.
func redirectWith(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return redirectURI
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Set(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
