package main

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

const maxUpstreamLen = 2000

// checkUpstream requires an absolute http(s) URL with a host and without
// userinfo or fragment: upstream credentials never live in the URL. The
// messages do not echo the URL, which might carry a password.
func checkUpstream(raw string) error {
	if len(raw) > maxUpstreamLen || !printable(raw, maxUpstreamLen) || strings.ContainsAny(raw, " #") {
		return usageErrorf("invalid --upstream: want an absolute http(s) URL without spaces or fragment")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return usageErrorf("invalid --upstream: not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return usageErrorf("invalid --upstream: want an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return usageErrorf("invalid --upstream: the URL has no host")
	case u.User != nil:
		return usageErrorf("invalid --upstream: the URL must not carry a user or password")
	}
	return nil
}

// parseScopes splits each value on spaces, checks every token against
// RFC 6749 §3.3 (visible ASCII except '"' and '\'), and drops duplicates,
// keeping the first occurrence's order.
func parseScopes(values []string) ([]string, error) {
	var scopes []string
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			if !validScopeToken(s) {
				return nil, usageErrorf("invalid scope %q: use visible ASCII characters other than '\"' and '\\'", s)
			}
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes, nil
}

func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// printable reports whether s is valid UTF-8 of at most max characters
// without control characters.
func printable(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
