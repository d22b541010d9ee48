package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// party is a client with its credentials and one token pair for the notes route.
type party struct {
	id, secret      string
	access, refresh string
}

// confidentialParty registers a client_secret_basic client and runs a flow.
func (e *env) confidentialParty(name string) *party {
	e.t.Helper()
	reg := e.registerClient(map[string]any{"client_name": name, "redirect_uris": []string{cb}, "token_endpoint_auth_method": "client_secret_basic"})
	p := &party{id: reg.ClientID, secret: reg.ClientSecret}
	code, verifier := e.codeFlow(p.id, cb, "notes", "")
	resp, tok := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}}, p.id, p.secret)
	wantStatus(e.t, resp, http.StatusOK)
	p.access, p.refresh = tok["access_token"].(string), tok["refresh_token"].(string)
	return p
}

// publicParty registers a public client and runs a flow.
func (e *env) publicParty() *party {
	e.t.Helper()
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "notes", "")
	resp, tok := e.exchange(reg.ClientID, code, cb, verifier)
	wantStatus(e.t, resp, http.StatusOK)
	return &party{id: reg.ClientID, access: tok["access_token"].(string), refresh: tok["refresh_token"].(string)}
}

// post sends a form to an endpoint as a party (Basic when it has a secret,
// client_id in the body otherwise; nil for no credentials).
func (e *env) postAs(path string, p *party, form url.Values) (int, string) {
	e.t.Helper()
	if p != nil && p.secret == "" {
		form.Set("client_id", p.id)
	}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p != nil && p.secret != "" {
		req.SetBasicAuth(url.QueryEscape(p.id), url.QueryEscape(p.secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) introspect(caller *party, tok string) (int, string) {
	return e.postAs("/introspect", caller, url.Values{"token": {tok}})
}

const inactiveBody = "{\"active\":false}\n"

// TestIntrospectionMatrix (RFC 7662): token type × state × caller. Only
// the owning client or a resource server sees an active token; every
// other answer is exactly {"active":false}; public and unauthenticated
// callers are refused.
func TestIntrospectionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	ctx := context.Background()
	a, b, pub := e.confidentialParty("A"), e.confidentialParty("B"), e.publicParty()
	rs := e.confidentialParty("Resource server")
	rsClient, _ := e.store.GetClient(ctx, rs.id)
	rsClient.ResourceServer = true
	if err := e.store.UpdateClient(ctx, rsClient); err != nil {
		t.Fatal(err)
	}

	// Token states, all of client A's.
	aRotated := e.confidentialParty("A-rot")
	resp, _ := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {aRotated.refresh}}, aRotated.id, aRotated.secret)
	wantStatus(t, resp, http.StatusOK)
	now := e.clock.Now()
	expired, err := e.provider.Keys().Sign(&oauth.AccessClaims{Issuer: e.issuer, Subject: e.user.ID, Audience: e.resource("notes"),
		ClientID: a.id, IssuedAt: oauthDate(now.Add(-time.Hour)), Expiry: oauthDate(now.Add(-time.Minute)), ID: "j-expired"})
	if err != nil {
		t.Fatal(err)
	}
	otherIssuer, _ := e.provider.Keys().Sign(&oauth.AccessClaims{Issuer: "https://evil.example", Subject: e.user.ID, Audience: e.resource("notes"),
		ClientID: a.id, IssuedAt: oauthDate(now), Expiry: oauthDate(now.Add(time.Minute)), ID: "j-evil"})

	type row struct {
		name   string
		owner  *party
		token  string
		active bool
		typ    string
	}
	rows := []row{
		{"active access token", a, a.access, true, oauth.TokenTypeAccess},
		{"active refresh token", a, a.refresh, true, oauth.TokenTypeRefresh},
		{"rotated refresh token", aRotated, aRotated.refresh, false, ""},
		{"expired access token", a, expired, false, ""},
		{"access token of another issuer", a, otherIssuer, false, ""},
		{"garbage", a, "not-a-token", false, ""},
		{"unknown refresh token", a, oauth.PrefixRefreshToken + "nope", false, ""},
	}
	for _, r := range rows {
		for _, c := range []struct {
			name   string
			caller *party
			sees   bool
		}{{"owner", r.owner, r.active}, {"resource server", rs, r.active}, {"other client", b, false}} {
			status, body := e.introspect(c.caller, r.token)
			if status != http.StatusOK {
				t.Errorf("%s as %s: status %d %s", r.name, c.name, status, body)
				continue
			}
			if !c.sees {
				if body != inactiveBody {
					t.Errorf("%s as %s: %s, want exactly %q", r.name, c.name, body, inactiveBody)
				}
				continue
			}
			for _, want := range []string{`"active":true`, `"client_id":"` + r.owner.id + `"`, `"sub":"` + e.user.ID + `"`,
				`"aud":"` + e.resource("notes") + `"`, `"iss":"` + e.issuer + `"`, `"token_type":"` + r.typ + `"`, `"exp":`, `"iat":`, `"username":"alice"`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s as %s: %s lacks %s", r.name, c.name, body, want)
				}
			}
			if r.typ == oauth.TokenTypeAccess && !strings.Contains(body, `"jti":`) {
				t.Errorf("%s: no jti in %s", r.name, body)
			}
		}
	}
	// Callers that cannot introspect at all.
	if status, body := e.introspect(pub, pub.access); status != http.StatusUnauthorized || !strings.Contains(body, "invalid_client") {
		t.Errorf("public client: %d %s", status, body)
	}
	if status, _ := e.introspect(nil, a.access); status != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", status)
	}
	if status, _ := e.introspect(&party{id: a.id, secret: "lksec_wrong"}, a.access); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", status)
	}
	if status, body := e.postAs("/introspect", a, url.Values{}); status != http.StatusBadRequest {
		t.Errorf("no token: %d %s", status, body)
	}

	// State changes after the fact: a disabled user's tokens, a revoked grant.
	u, _ := e.store.GetUser(ctx, e.user.ID)
	u.Disabled = true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{a.access, a.refresh} {
		if _, body := e.introspect(rs, tk); body != inactiveBody {
			t.Errorf("token of a disabled user: %s", body)
		}
	}
}

// TestRevocationMatrix (RFC 7009): a client revokes its own refresh token
// (the whole family) or access token (by jti, enforced by the gateway even
// when cached); another client's tokens, unknown tokens and garbage answer
// 200 and change nothing; bad requests get OAuth errors.
func TestRevocationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	ctx := context.Background()
	rs := e.confidentialParty("RS")
	rsClient, _ := e.store.GetClient(ctx, rs.id)
	rsClient.ResourceServer = true
	_ = e.store.UpdateClient(ctx, rsClient)
	active := func(tok string) bool {
		_, body := e.introspect(rs, tok)
		return strings.Contains(body, `"active":true`)
	}
	a, b, pub := e.confidentialParty("A"), e.confidentialParty("B"), e.publicParty()

	// Another client's tokens: 200, nothing changes.
	for _, tok := range []string{a.access, a.refresh} {
		if status, body := e.postAs("/revoke", b, url.Values{"token": {tok}}); status != http.StatusOK || body != "" {
			t.Errorf("B revoking A's token: %d %q", status, body)
		}
		if !active(tok) {
			t.Fatal("B revoked A's token")
		}
	}
	// Unknown and garbage: 200.
	for _, tok := range []string{"garbage", oauth.PrefixRefreshToken + "unknown"} {
		if status, _ := e.postAs("/revoke", a, url.Values{"token": {tok}}); status != http.StatusOK {
			t.Errorf("revoking %q: %d", tok, status)
		}
	}
	// Bad requests.
	if status, body := e.postAs("/revoke", a, url.Values{}); status != http.StatusBadRequest || !strings.Contains(body, "invalid_request") {
		t.Errorf("no token: %d %s", status, body)
	}
	if status, _ := e.postAs("/revoke", &party{id: a.id, secret: "lksec_wrong"}, url.Values{"token": {a.access}}); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", status)
	}

	// A public client revokes its own access token; the refresh token lives.
	if status, _ := e.postAs("/revoke", pub, url.Values{"token": {pub.access}, "token_type_hint": {"access_token"}}); status != http.StatusOK {
		t.Fatalf("public revoke: %d", status)
	}
	if active(pub.access) || !active(pub.refresh) {
		t.Fatalf("after revoking the access token: access active=%v refresh active=%v", active(pub.access), active(pub.refresh))
	}

	// Access token revocation reaches the gateway, cached or not.
	gw, _ := e.mintToken(e.user.ID, "echo", "")
	resp := e.mcpPost("echo", gw, nil)
	resp.Body.Close()
	wantStatus(t, resp, http.StatusOK)
	if _, err := e.provider.RevokeToken(ctx, gw, ""); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, "a revoked access token at the gateway", time.Now(), func() int {
		resp := e.mcpPost("echo", gw, nil)
		resp.Body.Close()
		return resp.StatusCode
	})

	// A refresh token revokes the family: the access token too.
	if status, _ := e.postAs("/revoke", a, url.Values{"token": {a.refresh}, "token_type_hint": {"refresh_token"}}); status != http.StatusOK {
		t.Fatalf("revoke refresh: %d", status)
	}
	if active(a.refresh) || active(a.access) {
		t.Fatal("the family survived revoking its refresh token")
	}
	if resp, _ := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.refresh}}, a.id, a.secret); resp.StatusCode == http.StatusOK {
		t.Fatal("a revoked refresh token still refreshes")
	}
}

// TestKeyRotationWindow: after a rotation the old key keeps verifying the
// tokens it signed (and stays in the JWKS) until its window ends, then
// leaves the JWKS and its tokens are refused; new tokens use the new key.
func TestKeyRotationWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	ctx := context.Background()
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	old, _ := e.mintToken(e.user.ID, "echo", "")
	oldKID := e.provider.Keys().ActiveKeyID()
	if _, err := e.provider.Keys().Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	jwksKIDs := func() string {
		m := decodeJSON(t, e.get(http.DefaultClient, "/jwks.json"))
		var kids []string
		for _, k := range m["keys"].([]any) {
			kids = append(kids, k.(map[string]any)["kid"].(string))
		}
		return strings.Join(kids, ",")
	}
	fresh, _ := e.mintToken(e.user.ID, "echo", "")
	if jwtKID(t, fresh) == oldKID || !strings.Contains(jwksKIDs(), oldKID) {
		t.Fatalf("after rotation: new token kid %s (old %s), JWKS %s", jwtKID(t, fresh), oldKID, jwksKIDs())
	}
	for _, tok := range []string{old, fresh} {
		resp := e.mcpPost("echo", tok, nil)
		resp.Body.Close()
		wantStatus(t, resp, http.StatusOK)
	}
	e.clock.Advance(17 * time.Minute) // past the 16 min window of the env's key set
	if err := e.provider.Keys().Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(jwksKIDs(), oldKID) {
		t.Fatalf("the retired key is still published after its window: %s", jwksKIDs())
	}
	if _, err := e.provider.Keys().ParseAccessToken(old, e.issuer, e.clock.Now().Add(-17*time.Minute)); err == nil {
		t.Fatal("a token of the removed key still verifies")
	}
}

// TestUserInfoAndMetrics: /userinfo names the user of a live token and
// refuses others with a Bearer challenge; /metrics counts tokens and
// gateway traffic per route and answers only loopback peers or the token.
func TestUserInfoAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	a := e.confidentialParty("A")
	get := func(path, bearer string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, e.issuer+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if status, body, _ := get("/userinfo", a.access); status != http.StatusOK || !strings.Contains(body, `"preferred_username":"alice"`) || !strings.Contains(body, `"sub":"`+e.user.ID+`"`) {
		t.Fatalf("userinfo: %d %s", status, body)
	}
	for _, tok := range []string{"", "garbage", a.refresh} {
		if status, _, h := get("/userinfo", tok); status != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("userinfo with %q: %d %v", tok, status, h)
		}
	}
	status, body, _ := get("/metrics", "")
	if status != http.StatusOK || !strings.Contains(body, `latchkey_tokens_issued_total{route="notes"} 1`) || !strings.Contains(body, "# TYPE latchkey_gateway_requests_total counter") {
		t.Fatalf("metrics from loopback: %d\n%s", status, body)
	}
}

// TestIntrospectionNoStore (LX-11): introspection and revocation answers
// are never cached.
func TestIntrospectionNoStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	a := e.confidentialParty("A")
	for _, path := range []string{"/introspect", "/revoke"} {
		req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(url.Values{"token": {a.access}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d Cache-Control %q, want 200 no-store", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}
