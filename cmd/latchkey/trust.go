package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// trustCommand manages which client ID metadata documents are accepted
// (AS-14): a mode (any, allowlist, off) and the allowlisted domains.
func (p *program) trustCommand() *cli.Command {
	return &cli.Command{
		Name:  "trust",
		Usage: "manage the trust policy for URL client IDs (client ID metadata documents)",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "show the mode and the allowlisted domains", Flags: []cli.Flag{jsonFlag()}, Action: p.trustList},
			{Name: "add", Usage: "allowlist a domain (example.com, or *.example.com for one label below it)", ArgsUsage: "DOMAIN",
				Flags: []cli.Flag{jsonFlag()}, Action: p.trustAdd},
			{Name: "remove", Usage: "remove a domain from the allowlist", ArgsUsage: "DOMAIN", Flags: []cli.Flag{jsonFlag()}, Action: p.trustRemove},
			{Name: "mode", Usage: "set the mode: any (every https document), allowlist, or off", ArgsUsage: "MODE",
				Flags: []cli.Flag{jsonFlag()}, Action: p.trustMode},
		},
	}
}

// trustView is the policy as admin output shows it.
type trustView struct {
	Mode    string   `json:"mode"`
	Domains []string `json:"domains"`
}

func (p *program) printTrust(ctx context.Context, c *cli.Context, env *adminEnv) error {
	pol, err := oauth.LoadTrustPolicy(ctx, env.store)
	if err != nil {
		return fmt.Errorf("load trust policy: %w", err)
	}
	out := p.printer(c)
	v := trustView{Mode: pol.Mode, Domains: pol.Domains}
	if v.Domains == nil {
		v.Domains = []string{}
	}
	if out.json {
		return out.JSON(v)
	}
	out.linef("mode: %s", v.Mode)
	if len(v.Domains) == 0 {
		out.linef("allowlist: (empty)")
	}
	for _, d := range v.Domains {
		out.linef("allow: %s", d)
	}
	return nil
}

func (p *program) trustList(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error { return p.printTrust(ctx, c, env) })
}

func (p *program) trustAdd(c *cli.Context) error {
	args, err := positional(c, "domain")
	if err != nil {
		return err
	}
	domain, err := oauth.NormalizeTrustDomain(args[0])
	if err != nil {
		return usageErrorf("trust add: %v", err)
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		err := env.store.AddTrustedDomain(ctx, domain, time.Now())
		if errors.Is(err, oauth.ErrConflict) {
			return usageErrorf("trust add: %s is already allowlisted", domain)
		}
		if err != nil {
			return fmt.Errorf("add trusted domain: %w", err)
		}
		env.audit(ctx, "trust.add", domain, "")
		return p.printTrust(ctx, c, env)
	})
}

func (p *program) trustRemove(c *cli.Context) error {
	args, err := positional(c, "domain")
	if err != nil {
		return err
	}
	domain, err := oauth.NormalizeTrustDomain(args[0])
	if err != nil {
		return usageErrorf("trust remove: %v", err)
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		err := env.store.RemoveTrustedDomain(ctx, domain)
		if errors.Is(err, oauth.ErrNotFound) {
			return usageErrorf("trust remove: %s is not allowlisted", domain)
		}
		if err != nil {
			return fmt.Errorf("remove trusted domain: %w", err)
		}
		env.audit(ctx, "trust.remove", domain, "")
		return p.printTrust(ctx, c, env)
	})
}

func (p *program) trustMode(c *cli.Context) error {
	args, err := positional(c, "mode")
	if err != nil {
		return err
	}
	switch args[0] {
	case oauth.TrustAny, oauth.TrustAllowlist, oauth.TrustOff:
	default:
		return usageErrorf("trust mode: %q: want any, allowlist or off", args[0])
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		if err := oauth.SetTrustMode(ctx, env.store, args[0], time.Now()); err != nil {
			return fmt.Errorf("set trust mode: %w", err)
		}
		env.audit(ctx, "trust.mode", args[0], "")
		return p.printTrust(ctx, c, env)
	})
}
