package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// Key statuses in keys list (see oauth.KeyStatus).
const (
	keyActive  = oauth.KeyActive
	keyRetired = oauth.KeyRetired
)

// accessTokenTTLFlag is shared by serve and keys: a key retired by a
// rotation must keep verifying for as long as the tokens it signed live.
func accessTokenTTLFlag() cli.Flag {
	return &cli.DurationFlag{Name: "access-token-ttl", EnvVars: []string{"LATCHKEY_ACCESS_TOKEN_TTL"},
		Value: oauth.DefaultAccessTokenTTL, Usage: "lifetime of access tokens"}
}

// keyKeep is how long a retired key keeps verifying: the access token
// lifetime plus a minute for clock skew and the servers' reload interval.
func keyKeep(accessTTL time.Duration) time.Duration { return accessTTL + time.Minute }

func (p *program) keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "list and rotate the access-token signing keys",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list signing keys", Flags: []cli.Flag{accessTokenTTLFlag(), jsonFlag()}, Action: p.listKeys},
			{Name: "rotate", Usage: "make a new signing key active; the old ones keep verifying for the access token lifetime",
				Flags: []cli.Flag{accessTokenTTLFlag(), jsonFlag()}, Action: p.rotateKeys},
		},
	}
}

// keyView is a signing key as admin output shows it; never the private part.
type keyView struct {
	KID       string     `json:"kid"`
	Algorithm string     `json:"alg"`
	CreatedAt time.Time  `json:"created_at"`
	Status    string     `json:"status"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
}

func newKeyView(k *oauth.SigningKey, active string, now time.Time) keyView {
	return keyView{KID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, NotAfter: k.NotAfter,
		Status: oauth.KeyStatus(k, active, now)}
}

// statusText is the STATUS column of keys list.
func (v keyView) statusText() string {
	if v.Status == keyRetired && v.NotAfter != nil {
		return fmt.Sprintf("retired (verifies until %s)", textTime(*v.NotAfter))
	}
	return v.Status
}

func (p *program) listKeys(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		ks, err := env.keySet(ctx, keyKeep(c.Duration("access-token-ttl")))
		if err != nil {
			return err
		}
		now := time.Now()
		views := make([]keyView, 0)
		for _, k := range ks.Keys() {
			views = append(views, newKeyView(k, ks.ActiveKeyID(), now))
		}
		out := p.printer(c)
		if out.json {
			return out.JSON(views)
		}
		rows := make([][]string, 0, len(views))
		for _, v := range views {
			rows = append(rows, []string{v.KID, v.Algorithm, textTime(v.CreatedAt), v.statusText()})
		}
		return out.table([]string{"KID", "ALG", "CREATED", "STATUS"}, rows)
	})
}

// rotation is the JSON output of keys rotate.
type rotation struct {
	keyView
	Retired []keyView `json:"retired"`
}

func (p *program) rotateKeys(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	ttl := c.Duration("access-token-ttl")
	if ttl <= 0 {
		return usageErrorf("--access-token-ttl must be positive")
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		ks, err := env.keySet(ctx, keyKeep(ttl))
		if err != nil {
			return err
		}
		signing := map[string]bool{}
		for _, k := range ks.Keys() {
			if k.RetiredAt == nil {
				signing[k.ID] = true
			}
		}
		k, err := ks.Rotate(ctx)
		if err != nil {
			return fmt.Errorf("rotate keys: %w", err)
		}
		env.audit(ctx, "key.rotate", k.ID, "")
		now := time.Now()
		res := rotation{keyView: newKeyView(k, ks.ActiveKeyID(), now), Retired: []keyView{}}
		for _, old := range ks.Keys() {
			if signing[old.ID] {
				res.Retired = append(res.Retired, newKeyView(old, ks.ActiveKeyID(), now))
			}
		}
		out := p.printer(c)
		if out.json {
			return out.JSON(res)
		}
		out.linef("new active key: %s (%s)", k.ID, k.Algorithm)
		for _, v := range res.Retired {
			out.linef("retired key %s: verifies tokens until %s", v.KID, textTimePtr(v.NotAfter))
		}
		out.linef("running servers switch to the new key within %s", keyReloadInterval)
		return nil
	})
}
