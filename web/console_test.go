package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// addUser creates a local user with a password.
func (e *env) addUser(username, password string, admin bool) *oauth.User {
	e.t.Helper()
	hash, err := oauth.NewHasher(oauth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, 1).Hash(context.Background(), password)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &oauth.User{ID: oauth.NewUserID(), Username: username, PasswordHash: hash, Admin: admin, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// loginAs signs a cookie client in through the login form.
func (e *env) loginAs(c *http.Client, username, password string) {
	e.t.Helper()
	page := body(e.t, e.get(c, "/login"))
	resp := e.postForm(c, "/login", url.Values{"username": {username}, "password": {password}, "csrf_token": {match(e.t, csrfRe, page)}})
	wantStatus(e.t, resp, http.StatusSeeOther)
	resp.Body.Close()
}

// consolePost submits a console form with the page's CSRF token.
func (e *env) consolePost(c *http.Client, page, action string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	html := body(e.t, e.get(c, page))
	form.Set("csrf_token", match(e.t, csrfRe, html))
	resp := e.postForm(c, action, form)
	return resp, body(e.t, resp)
}

// TestConsoleAccessControl: anonymous visitors are sent to the login page,
// users get a 403 on every /admin page and action, forms without the CSRF
// token are refused, administrators get in.
func TestConsoleAccessControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addUser("root", "root password 1", true)
	anon := e.browser()
	resp := e.get(anon, "/admin/clients")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=%2Fadmin%2Fclients") {
		t.Fatalf("anonymous /admin/clients: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	alice := e.browser()
	e.loginAs(alice, "alice", e.password)
	for _, path := range []string{"/admin", "/admin/clients", "/admin/users", "/admin/keys", "/admin/audit", "/admin/routes/files"} {
		resp := e.get(alice, path)
		page := body(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "for administrators") {
			t.Errorf("alice on %s: %d", path, resp.StatusCode)
		}
	}
	aliceAccount := body(t, e.get(alice, "/account"))
	resp = e.postForm(alice, "/admin/keys/rotate", url.Values{"csrf_token": {match(t, csrfRe, aliceAccount)}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("alice rotating keys: %d", resp.StatusCode)
	}
	root := e.browser()
	e.loginAs(root, "root", "root password 1")
	before := e.provider.Keys().ActiveKeyID()
	resp = e.postForm(root, "/admin/keys/rotate", url.Values{"csrf_token": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || e.provider.Keys().ActiveKeyID() != before {
		t.Errorf("rotation without the CSRF token: %d", resp.StatusCode)
	}
	for _, path := range []string{"/admin", "/admin?window=7d", "/admin/clients", "/admin/trust", "/admin/routes", "/admin/routes/new", "/admin/tokens",
		"/admin/users", "/admin/keys", "/admin/audit", "/account", "/account/password"} {
		if resp := e.get(root, path); resp.StatusCode != http.StatusOK {
			t.Errorf("root on %s: %d", path, resp.StatusCode)
		} else {
			resp.Body.Close()
		}
	}
}

// TestConsoleFormErrors: every console form shows its validation errors
// next to the field, keeps what was typed, and never shows internals.
func TestConsoleFormErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addUser("root", "root password 1", true)
	c := e.browser()
	e.loginAs(c, "root", "root password 1")
	cases := []struct {
		page, action string
		form         url.Values
		field        string
	}{
		{"/admin/routes/new", "/admin/routes", url.Values{"name": {"Bad Name"}, "upstream": {"http://127.0.0.1:9/mcp"}}, "name"},
		{"/admin/routes/new", "/admin/routes", url.Values{"name": {"ok"}, "upstream": {"ftp://x"}}, "upstream"},
		{"/admin/routes/new", "/admin/routes", url.Values{"name": {"files"}, "upstream": {"http://127.0.0.1:9/mcp"}}, "name"},
		{"/admin/routes/new", "/admin/routes", url.Values{"name": {"ok"}, "upstream": {"http://127.0.0.1:9/mcp"}, "step_up": {"tools/call"}}, "step_up"},
		{"/admin/routes/new", "/admin/routes", url.Values{"name": {"ok"}, "upstream": {"http://127.0.0.1:9/mcp"}, "allowed_users": {"nobody"}}, "allowed_users"},
		{"/admin/routes/files", "/admin/routes/files", url.Values{"upstream": {"http://user:pw@example.com/mcp"}}, "upstream"},
		{"/admin/clients/new", "/admin/clients", url.Values{"name": {""}, "redirect_uris": {"https://a.example/cb"}}, "name"},
		{"/admin/clients/new", "/admin/clients", url.Values{"name": {"X"}, "redirect_uris": {"javascript:alert(1)"}, "auth_method": {"none"}}, "redirect_uris"},
		{"/admin/clients/new", "/admin/clients", url.Values{"name": {"X"}, "redirect_uris": {"https://a.example/cb"}, "auth_method": {"private_key_jwt"}}, "jwks_uri"},
		{"/admin/clients/new", "/admin/clients", url.Values{"name": {"X"}, "redirect_uris": {"https://a.example/cb"}, "auth_method": {"none"}, "resource_server": {"1"}}, "auth_method"},
		{"/admin/users", "/admin/users", url.Values{"username": {"bad name!"}}, "username"},
		{"/admin/users", "/admin/users", url.Values{"username": {"alice"}}, "username"},
		{"/admin/users", "/admin/users", url.Values{"username": {"newbie"}, "password": {"short"}}, "password"},
		{"/admin/trust", "/admin/trust/add", url.Values{"domain": {"10.0.0.1"}}, "domain"},
		{"/account/password", "/account/password", url.Values{"current": {"wrong"}, "new": {"long enough pw"}, "confirm": {"long enough pw"}}, "current"},
		{"/account/password", "/account/password", url.Values{"current": {"root password 1"}, "new": {"long enough pw"}, "confirm": {"different pw!"}}, "confirm"},
	}
	for _, tc := range cases {
		resp, page := e.consolePost(c, tc.page, tc.action, tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `data-testid="error-`+tc.field+`"`) {
			t.Errorf("%s %v: %d, want 422 with an error next to %s", tc.action, tc.form, resp.StatusCode, tc.field)
			continue
		}
		for _, leak := range []string{"db:", "sql", "SQLSTATE", "goroutine", ".go:"} {
			if strings.Contains(page, leak) {
				t.Errorf("%s: the page leaks %q", tc.action, leak)
			}
		}
		if v := tc.form.Get("name"); v != "" && tc.field == "upstream" && !strings.Contains(page, `value="`+v+`"`) {
			t.Errorf("%s: the form lost what was typed", tc.action)
		}
	}
}

// TestConsoleOperations drives the main admin operations over HTTP and
// checks their effect and their audit entries.
func TestConsoleOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	ctx := context.Background()
	e.addUser("root", "root password 1", true)
	c := e.browser()
	e.loginAs(c, "root", "root password 1")
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "notes", "")
	e.exchange(reg.ClientID, code, cb, verifier)

	resp, _ := e.consolePost(c, "/admin/routes/new", "/admin/routes", url.Values{"name": {"weather"}, "title": {"Weather"},
		"upstream": {"http://127.0.0.1:9/mcp"}, "scopes": {"weather:read"}, "step_up": {"tools/call:set_*=weather:write"},
		"header_name": {"Authorization"}, "header_value": {"Bearer upstream-secret"}})
	wantStatus(t, resp, http.StatusSeeOther)
	rt, err := e.store.GetRoute(ctx, "weather")
	if err != nil || len(rt.StepUp) != 1 || rt.UpstreamHeaderName != "Authorization" || strings.Contains(string(rt.UpstreamHeaderSealed), "upstream-secret") {
		t.Fatalf("created route = %+v, %v", rt, err)
	}
	if page := body(t, e.get(c, "/admin/routes/weather")); strings.Contains(page, "upstream-secret") {
		t.Fatal("the edit page shows the stored credential")
	}
	resp, _ = e.consolePost(c, "/admin/routes/weather", "/admin/routes/weather", url.Values{"title": {"Weather v2"}, "upstream": {"http://127.0.0.1:9/mcp"},
		"scopes": {"weather:read"}, "header_name": {"Authorization"}, "admin_only": {"1"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if rt, _ = e.store.GetRoute(ctx, "weather"); rt.Title != "Weather v2" || !rt.AdminOnly || rt.UpstreamHeaderName != "Authorization" {
		t.Fatalf("updated route = %+v (the credential must be kept)", rt)
	}
	resp, _ = e.consolePost(c, "/admin/routes/weather", "/admin/routes/weather/test", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther)
	if page := body(t, e.get(c, "/admin/routes/weather")); !strings.Contains(page, "did not answer") {
		t.Errorf("connectivity test of a dead upstream: no readable failure")
	}

	resp, _ = e.consolePost(c, "/admin/clients/new", "/admin/clients", url.Values{"name": {"Build bot"}, "redirect_uris": {"https://bot.example/cb"}, "auth_method": {"client_secret_basic"}})
	wantStatus(t, resp, http.StatusSeeOther)
	detail := body(t, e.get(c, resp.Header.Get("Location")))
	secret := match(t, flashSecretRe, detail)
	if !strings.HasPrefix(secret, oauth.PrefixClientSecret) {
		t.Fatalf("client secret shown: %q", secret)
	}
	if again := body(t, e.get(c, resp.Header.Get("Location"))); strings.Contains(again, secret) {
		t.Fatal("the client secret was shown twice")
	}

	resp, _ = e.consolePost(c, "/admin/clients/new", "/admin/clients", url.Values{"name": {"Keyed RS"}, "redirect_uris": {"https://rs.example/cb"},
		"auth_method": {"private_key_jwt"}, "jwks_uri": {"https://rs.example/jwks.json"}, "resource_server": {"1"}})
	wantStatus(t, resp, http.StatusSeeOther)
	keyed, _ := e.store.GetClient(ctx, strings.TrimPrefix(resp.Header.Get("Location"), "/admin/client?id="))
	if keyed == nil || keyed.TokenEndpointAuthMethod != oauth.AuthPrivateKeyJWT || keyed.JWKSURI != "https://rs.example/jwks.json" || !keyed.ResourceServer || keyed.SecretHash != "" {
		t.Fatalf("keyed resource-server client = %+v", keyed)
	}

	grants, _ := e.store.ListGrants(ctx, e.user.ID, reg.ClientID)
	resp, _ = e.consolePost(c, "/admin/tokens", "/admin/tokens/revoke", url.Values{"grant_id": {grants[0].ID}})
	wantStatus(t, resp, http.StatusSeeOther)
	if g, _ := e.store.GetGrant(ctx, grants[0].ID); g.RevokedAt == nil {
		t.Fatal("grant not revoked")
	}
	resp, _ = e.consolePost(c, "/admin/users", "/admin/users", url.Values{"username": {"bob"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if pw := match(t, flashSecretRe, body(t, e.get(c, "/admin/users"))); len(pw) < 12 {
		t.Fatalf("generated password %q", pw)
	}
	resp, _ = e.consolePost(c, "/admin/users", "/admin/users/bob/admin", url.Values{"admin": {"1"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if u, _ := e.store.GetUserByUsername(ctx, "bob"); !u.Admin {
		t.Fatal("bob is not admin")
	}
	e.consolePost(c, "/admin/users", "/admin/users/root/disable", url.Values{})
	if u, _ := e.store.GetUserByUsername(ctx, "root"); u.Disabled {
		t.Fatal("an operator disabled themself")
	}
	before := e.provider.Keys().ActiveKeyID()
	resp, _ = e.consolePost(c, "/admin/keys", "/admin/keys/rotate", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther)
	if e.provider.Keys().ActiveKeyID() == before {
		t.Fatal("key not rotated")
	}
	resp, _ = e.consolePost(c, "/admin/trust", "/admin/trust/add", url.Values{"domain": {"Claude.AI"}})
	wantStatus(t, resp, http.StatusSeeOther)
	resp, _ = e.consolePost(c, "/admin/trust", "/admin/trust/mode", url.Values{"mode": {"allowlist"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if pol, _ := oauth.LoadTrustPolicy(ctx, e.store); pol.Mode != "allowlist" || len(pol.Domains) != 1 || pol.Domains[0] != "claude.ai" {
		t.Fatalf("trust policy = %+v", pol)
	}

	audit := body(t, e.get(c, "/admin/audit"))
	for _, want := range []string{"route.create", "route.update", "client.create", "token.revoke", "user.create", "user.admin", "key.rotate", "trust.add", "trust.mode", "login.success", "consent.grant"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	if page := body(t, e.get(c, "/admin/audit?q=weather")); !strings.Contains(page, "route.create") || strings.Contains(page, "key.rotate") {
		t.Error("audit search does not filter")
	}

	time.Sleep(150 * time.Millisecond) // the metrics recorder flushes every 50 ms in tests
	dash := body(t, e.get(c, "/admin"))
	if !strings.Contains(dash, `data-testid="total-notes"`) || !strings.Contains(dash, "<polyline") {
		t.Errorf("dashboard has no chart for the issued tokens")
	}
}

// TestPasswordChangeEndsOtherSessions: a reset by an administrator signs the
// user out everywhere; a user's own change keeps the browser they used.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addUser("root", "root password 1", true)
	e.clock.Advance(2 * time.Second) // sessions below start after the accounts were created
	home, other := e.browser(), e.browser()
	e.loginAs(home, "alice", e.password)
	e.loginAs(other, "alice", e.password)
	e.clock.Advance(2 * time.Second)
	resp, _ := e.consolePost(home, "/account/password", "/account/password", url.Values{"current": {e.password}, "new": {"brand new pass"}, "confirm": {"brand new pass"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if resp := e.get(home, "/account"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the browser that changed the password was signed out: %d", resp.StatusCode)
	}
	if resp := e.get(other, "/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another browser kept its session after the password change: %d", resp.StatusCode)
	}
	root := e.browser()
	e.loginAs(root, "root", "root password 1")
	e.clock.Advance(2 * time.Second)
	resp, _ = e.consolePost(root, "/admin/users", "/admin/users/alice/reset", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther)
	if resp := e.get(home, "/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an administrator's reset left the user's session alive: %d", resp.StatusCode)
	}
}
