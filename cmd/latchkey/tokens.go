package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// tokensCommand inspects and takes away access. Tokens given as arguments
// end up in shell history, so "-" reads the token from stdin instead.
func (p *program) tokensCommand() *cli.Command {
	return &cli.Command{
		Name:  "tokens",
		Usage: "list grants, introspect and revoke tokens",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list grants (never tokens)", Flags: []cli.Flag{
				&cli.StringFlag{Name: "user", Usage: "only this user's grants (username)"},
				&cli.StringFlag{Name: "client", Usage: "only this client's grants (client_id)"},
				&cli.BoolFlag{Name: "all", Usage: "include revoked and expired grants"},
				jsonFlag(),
			}, Action: p.listTokens},
			{Name: "introspect", Usage: "show what a token grants, or that it is not active", ArgsUsage: "TOKEN|-",
				Flags: []cli.Flag{accessTokenTTLFlag(), jsonFlag()}, Action: p.introspectToken},
			{Name: "revoke", Usage: "revoke a token, or every grant of a client or user", ArgsUsage: "[TOKEN|-]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "user", Usage: "revoke every grant of this user (username)"},
					&cli.StringFlag{Name: "client", Usage: "revoke every grant of this client (client_id)"},
					accessTokenTTLFlag(), jsonFlag(),
				}, Action: p.revokeTokens},
		},
	}
}

// grantView is a grant as admin output shows it.
type grantView struct {
	GrantID    string     `json:"grant_id"`
	User       string     `json:"user"`
	ClientID   string     `json:"client_id"`
	Route      string     `json:"route"`
	Scopes     []string   `json:"scopes"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt time.Time  `json:"last_used_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func (p *program) listTokens(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		userID, clientID, err := grantFilter(ctx, env, c.String("user"), c.String("client"))
		if err != nil {
			return err
		}
		grants, err := env.store.ListGrants(ctx, userID, clientID)
		if err != nil {
			return fmt.Errorf("list grants: %w", err)
		}
		names := map[string]string{}
		now := time.Now()
		views := make([]grantView, 0, len(grants))
		for _, g := range grants {
			st := g.Status(now)
			if st != oauth.GrantActive && !c.Bool("all") {
				continue
			}
			if _, ok := names[g.UserID]; !ok {
				names[g.UserID] = g.UserID
				if u, err := env.store.GetUser(ctx, g.UserID); err == nil {
					names[g.UserID] = u.Username
				}
			}
			views = append(views, grantView{GrantID: g.ID, User: names[g.UserID], ClientID: g.ClientID, Route: g.Route, Scopes: g.Scopes,
				Status: st, CreatedAt: g.CreatedAt, LastUsedAt: g.LastUsedAt, ExpiresAt: g.ExpiresAt, RevokedAt: g.RevokedAt})
		}
		out := p.printer(c)
		if out.json {
			return out.JSON(views)
		}
		rows := make([][]string, 0, len(views))
		for _, v := range views {
			rows = append(rows, []string{v.GrantID, textCell(v.User), textCell(v.ClientID), v.Route, strings.Join(v.Scopes, " "), v.Status, textTime(v.LastUsedAt)})
		}
		return out.table([]string{"GRANT", "USER", "CLIENT", "ROUTE", "SCOPES", "STATUS", "LAST USED"}, rows)
	})
}

// grantFilter turns --user/--client into store IDs, checking they exist.
func grantFilter(ctx context.Context, env *adminEnv, username, clientID string) (string, string, error) {
	userID := ""
	if username != "" {
		u, err := getUser(ctx, env.store, username)
		if err != nil {
			return "", "", err
		}
		userID = u.ID
	}
	if clientID != "" {
		if err := checkClientID(clientID); err != nil {
			return "", "", err
		}
	}
	return userID, clientID, nil
}

// tokenArg reads the token argument, "-" meaning one line of stdin.
func (p *program) tokenArg(arg string) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(p.stdin, 64<<10))
	if err != nil {
		return "", fmt.Errorf("read token from stdin: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usageErrorf("no token on stdin")
	}
	return tok, nil
}

// provider builds an authorization server over the admin store, able to
// verify tokens (it needs the master secret for the key set).
func (p *program) provider(ctx context.Context, c *cli.Context, env *adminEnv) (*oauth.Provider, error) {
	ks, err := env.keySet(ctx, keyKeep(c.Duration("access-token-ttl")))
	if err != nil {
		return nil, err
	}
	return oauth.New(oauth.Config{Issuer: p.issuer()}, env.store, ks)
}

func (p *program) introspectToken(c *cli.Context) error {
	args, err := positional(c, "token")
	if err != nil {
		return err
	}
	tok, err := p.tokenArg(args[0])
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		prov, err := p.provider(ctx, c, env)
		if err != nil {
			return err
		}
		res, err := prov.Introspect(ctx, tok)
		if err != nil {
			return fmt.Errorf("introspect: %w", err)
		}
		out := p.printer(c)
		if out.json {
			return out.JSON(res)
		}
		if !res.Active {
			out.linef("active: no")
			return nil
		}
		return out.fields([][2]string{
			{"active", "yes"}, {"token_type", res.TokenType}, {"user", res.Username}, {"sub", res.Sub},
			{"client_id", res.ClientID}, {"aud", res.Aud}, {"scope", res.Scope}, {"jti", res.Jti},
			{"issued", textTime(time.Unix(res.Iat, 0))}, {"expires", textTime(time.Unix(res.Exp, 0))},
		})
	})
}

// revokeResult is tokens revoke --json output.
type revokeResult struct {
	RevokedGrants int  `json:"revoked_grants"`
	Token         bool `json:"token,omitempty"`
}

func (p *program) revokeTokens(c *cli.Context) error {
	args := c.Args().Slice()
	user, client := c.String("user"), c.String("client")
	given := 0
	for _, set := range []bool{len(args) > 0, user != "", client != ""} {
		if set {
			given++
		}
	}
	if given != 1 || len(args) > 1 {
		return usageErrorf("tokens revoke: give exactly one of TOKEN, --user or --client")
	}
	var tok string
	if len(args) == 1 {
		var err error
		if tok, err = p.tokenArg(args[0]); err != nil {
			return err
		}
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		out := p.printer(c)
		if tok != "" {
			prov, err := p.provider(ctx, c, env)
			if err != nil {
				return err
			}
			what, err := prov.RevokeToken(ctx, tok, "")
			if err != nil {
				return fmt.Errorf("revoke: %w", err)
			}
			if what != "" {
				env.audit(ctx, "token.revoke", what, "")
			}
			if out.json {
				return out.JSON(revokeResult{Token: true})
			}
			out.linef("revoked (an unknown or expired token is not an error)")
			return nil
		}
		userID, clientID, err := grantFilter(ctx, env, user, client)
		if err != nil {
			return err
		}
		n, err := oauth.RevokeGrantsOf(ctx, env.store, userID, clientID, time.Now())
		if err != nil {
			return fmt.Errorf("revoke grants: %w", err)
		}
		env.audit(ctx, "token.revoke_all", "user "+user+" client "+client, fmt.Sprintf("%d grants", n))
		if out.json {
			return out.JSON(revokeResult{RevokedGrants: n})
		}
		out.linef("revoked %d grants", n)
		return nil
	})
}
