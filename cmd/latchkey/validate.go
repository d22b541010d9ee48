package main

import (
	"unicode/utf8"

	"github.com/latchkey/latchkey/oauth"
)

// checkUpstream validates --upstream (see oauth.CheckUpstream).
func checkUpstream(raw string) error {
	if err := oauth.CheckUpstream(raw); err != nil {
		return usageErrorf("invalid --upstream: %v", err)
	}
	return nil
}

// parseScopes validates scope flags (see oauth.ParseScopes).
func parseScopes(values []string) ([]string, error) {
	scopes, err := oauth.ParseScopes(values)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return scopes, nil
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
