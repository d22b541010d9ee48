package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// routePolicyFlags are the gateway settings of `routes add`.
func routePolicyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "step-up", Usage: "extra scopes for a method or tool: METHOD[:TOOL-GLOB]=SCOPE[,SCOPE] (e.g. tools/call:delete_*=files:write; repeatable)"},
		&cli.BoolFlag{Name: "admin-only", Usage: "only administrators may use the route"},
		&cli.StringSliceFlag{Name: "allow-user", Usage: "only these usernames may use the route (repeatable)"},
		&cli.StringFlag{Name: "upstream-header", Usage: "the upstream's own credential, 'Name: value' (stored encrypted)"},
		&cli.StringFlag{Name: "upstream-header-file", Usage: "read the 'Name: value' credential from this file"},
		&cli.StringFlag{Name: "upstream-header-env", Usage: "read the 'Name: value' credential from this environment variable"},
	}
}

// applyRoutePolicy fills r's step-up rules and policy from the flags and
// returns the upstream credential header ("" when none), still in clear.
func (p *program) applyRoutePolicy(c *cli.Context, r *oauth.Route) (header string, err error) {
	for _, spec := range c.StringSlice("step-up") {
		rule, err := oauth.ParseStepUpRule(spec)
		if err != nil {
			return "", usageErrorf("--step-up %v", err)
		}
		r.ApplyStepUp(rule) // a step-up scope is one the route offers
	}
	r.AdminOnly = c.Bool("admin-only")
	for _, u := range c.StringSlice("allow-user") {
		if err := checkUsername(u); err != nil {
			return "", err
		}
		r.AllowedUsers = append(r.AllowedUsers, u)
	}
	switch {
	case c.String("upstream-header") != "":
		header = c.String("upstream-header")
	case c.String("upstream-header-file") != "":
		b, err := os.ReadFile(c.String("upstream-header-file"))
		if err != nil {
			return "", fmt.Errorf("read --upstream-header-file: %w", err)
		}
		header = strings.TrimSpace(string(b))
	case c.String("upstream-header-env") != "":
		header = strings.TrimSpace(p.getenv(c.String("upstream-header-env")))
		if header == "" {
			return "", usageErrorf("--upstream-header-env: %s is empty", c.String("upstream-header-env"))
		}
	}
	if header == "" {
		return "", nil
	}
	name, value, err := oauth.ParseUpstreamHeader(header)
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	r.UpstreamHeaderName = name
	return value, nil
}

// sealUpstreamHeader encrypts the credential with the master secret.
func (p *program) sealUpstreamHeader(r *oauth.Route, value string) error {
	if value == "" {
		return nil
	}
	sec, err := p.secrets()
	if err != nil {
		return err
	}
	r.UpstreamHeaderSealed = sec.Seal([]byte(value), oauth.UpstreamHeaderAAD(r.Name))
	return nil
}
