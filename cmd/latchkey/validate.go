package main

import (
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
