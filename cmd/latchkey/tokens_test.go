package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/oauth"
)

const testSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// issue mints a real access token and a refresh token for a new grant, as
// the token endpoint would, with the installation's signing key.
func issue(t *testing.T, e *testEnv, userID, clientID string) (access, refresh, grantID string) {
	t.Helper()
	ctx := context.Background()
	st := e.store(t)
	secret, _ := decodeSecret(testSecret)
	secrets, err := oauth.NewSecrets(secret)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := oauth.NewKeySet(ctx, st, secrets, time.Now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	g := &oauth.Grant{ID: oauth.RandomString(10), ClientID: clientID, UserID: userID, Route: "files", Resource: "http://127.0.0.1:8080/mcp/files",
		Scopes: []string{"files:read"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastUsedAt: now}
	if err := st.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	refresh = oauth.NewSecret(oauth.PrefixRefreshToken)
	if err := st.CreateRefreshToken(ctx, &oauth.RefreshToken{Hash: oauth.HashSecret(refresh), GrantID: g.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	access, err = ks.Sign(&oauth.AccessClaims{Issuer: "http://127.0.0.1:8080", Subject: userID, Audience: g.Resource, ClientID: clientID,
		Scope: "files:read", IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(15 * time.Minute)), ID: oauth.RandomString(8), GrantID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	return access, refresh, g.ID
}

// TestTokensCommands: list (never printing tokens), introspect by argument
// and stdin, revoke a token, all of a client's and all of a user's grants;
// disabling a user and removing a client revoke what they hold.
func TestTokensCommands(t *testing.T) {
	e := newTestEnv(t)
	e.args = append(e.args, "--secret", testSecret)
	e.ok(t, "users", "add", "--username", "alice")
	e.ok(t, "users", "add", "--username", "bob")
	var users []userView
	e.jsonOut(t, &users, "users", "list")
	ids := map[string]string{}
	for _, u := range users {
		ids[u.Username] = u.ID
	}
	e.ok(t, "clients", "add", "--name", "App", "--redirect-uri", "https://app.example/cb", "--public")
	var clients []clientView
	e.jsonOut(t, &clients, "clients", "list")
	app := clients[0].ClientID

	a1, r1, _ := issue(t, e, ids["alice"], app)
	a2, _, _ := issue(t, e, ids["alice"], "other-client")
	_, _, _ = issue(t, e, ids["bob"], app)

	var grants []grantView
	e.jsonOut(t, &grants, "tokens", "list", "--user", "alice")
	if len(grants) != 2 || grants[0].User != "alice" {
		t.Fatalf("tokens list --user alice = %+v", grants)
	}
	out := e.ok(t, "tokens", "list")
	if strings.Contains(out, a1) || strings.Contains(out, r1) || strings.Count(out, "active") != 3 {
		t.Fatalf("tokens list printed a token or missed a grant:\n%s", out)
	}

	var res oauth.Introspection
	e.jsonOut(t, &res, "tokens", "introspect", a1)
	if !res.Active || res.Username != "alice" || res.ClientID != app || res.TokenType != oauth.TokenTypeAccess {
		t.Fatalf("introspect access = %+v", res)
	}
	r := e.run(t, r1+"\n", "--json", "tokens", "introspect", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"token_type": "refresh_token"`) && !strings.Contains(r.stdout, `"token_type":"refresh_token"`) {
		t.Fatalf("introspect from stdin: %d %s %s", r.code, r.stdout, r.stderr)
	}

	e.ok(t, "tokens", "revoke", a1)
	if e.jsonOut(t, &res, "tokens", "introspect", a1); res.Active {
		t.Fatal("a revoked access token is still active")
	}
	if e.jsonOut(t, &res, "tokens", "introspect", r1); !res.Active {
		t.Fatal("revoking an access token revoked its refresh token")
	}
	var rev revokeResult
	e.jsonOut(t, &rev, "tokens", "revoke", "--client", app)
	if rev.RevokedGrants != 2 {
		t.Fatalf("revoke --client = %+v, want 2 grants (alice's and bob's)", rev)
	}
	if e.jsonOut(t, &res, "tokens", "introspect", r1); res.Active {
		t.Fatal("refresh token active after revoking its client's grants")
	}
	if out := e.ok(t, "users", "disable", "alice"); !strings.Contains(out, "revoked 1 grants") {
		t.Fatalf("users disable: %q, want alice's remaining grant revoked", out)
	}
	if e.jsonOut(t, &res, "tokens", "introspect", a2); res.Active {
		t.Fatal("a disabled user's token is active")
	}
	e.jsonOut(t, &grants, "tokens", "list", "--all")
	if len(grants) != 3 {
		t.Fatalf("tokens list --all = %d grants", len(grants))
	}
	for _, g := range grants {
		if g.Status != "revoked" {
			t.Errorf("grant %s is %s", g.GrantID, g.Status)
		}
	}
	e.fails(t, exitUsage, "exactly one", "tokens", "revoke")
	e.fails(t, exitUsage, "exactly one", "tokens", "revoke", "--user", "bob", "--client", app)
	e.fails(t, exitError, "not found", "tokens", "list", "--user", "nobody")
}
