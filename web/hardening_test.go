package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
)

// TestSecretsAtRestAreHashed (AS-18): no code, refresh token, client secret
// or password appears in any table after a complete flow.
func TestSecretsAtRestAreHashed(t *testing.T) {
	t.Parallel()
	bdb := dbtest.SQLiteDB(t)
	e := newEnv(t, db.New(bdb))
	reg := e.registerClient(map[string]any{"client_name": "Conf", "redirect_uris": []string{cb}})
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}}
	resp, tok := e.token(form, reg.ClientID, reg.ClientSecret)
	wantStatus(t, resp, http.StatusOK)
	secrets := []string{code, reg.ClientSecret, tok["refresh_token"].(string), e.password}
	tables := []string{"users", "clients", "routes", "auth_requests", "codes", "grants", "refresh_tokens", "consents", "signing_keys"}
	ctx := context.Background()
	for _, table := range tables {
		rows, err := bdb.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch x := v.(type) {
				case string:
					s = x
				case []byte:
					s = string(x)
				}
				for _, secret := range secrets {
					if strings.Contains(s, secret) {
						t.Errorf("%s.%s stores a secret in clear", table, cols[i])
					}
				}
				if table == "signing_keys" && cols[i] == "private_enc" && strings.Contains(s, "PRIVATE KEY") {
					t.Errorf("signing key stored unencrypted")
				}
			}
		}
		_ = rows.Close()
	}
}

// TestSecurityLoginNextIsNoOpenRedirect (AS-22): the login form's next only
// ever leads to a local path.
func TestSecurityLoginNextIsNoOpenRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
		"/./\\evil.example/x", "/a/../\\evil.example", "/.//evil.example", "/%5cevil.example", "/%2F/evil.example",
		"/%09/evil.example", "/%0a/evil.example", "/a/%09/../%09/evil.example", "/%5C%5Cevil.example"} {
		c := e.browser()
		page := body(t, e.get(c, "/login?"+url.Values{"next": {next}}.Encode()))
		resp := e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {match(t, csrfRe, page)}, "next": {next}})
		wantStatus(t, resp, http.StatusSeeOther)
		got := resp.Header.Get("Location")
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\n\r") ||
			strings.HasPrefix(strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(got), "//") {
			t.Errorf("next=%q: redirected to %q, want a local path", next, got)
		}
	}
}

// TestLoginFailureIsGeneric: a wrong password and an unknown user read the same.
func TestLoginFailureIsGeneric(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	var pages []string
	for _, user := range []string{"alice", "mallory"} {
		c := e.browser()
		page := body(t, e.get(c, "/login"))
		resp := e.postForm(c, "/login", url.Values{"username": {user}, "password": {"wrong password"}, "csrf_token": {match(t, csrfRe, page)}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401", user, resp.StatusCode)
		}
		pages = append(pages, body(t, resp))
	}
	for _, p := range pages {
		if !strings.Contains(p, "Incorrect username or password.") {
			t.Fatalf("failure page lacks the generic message:\n%s", p)
		}
	}
}

// TestSecureCookieOnHTTPSIssuer (PX-4): an https issuer gets a Secure,
// __Host- prefixed session cookie.
func TestSecureCookieOnHTTPSIssuer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOpts{issuer: "https://auth.example.com"})
	rec := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://auth.example.com/login", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v, want one", cookies)
	}
	c := cookies[0]
	if c.Name != "__Host-latchkey" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookie = %+v; want __Host-latchkey, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", c)
	}
}

// TestPromptLoginForcesFreshSignIn: prompt=login asks for the password again
// without signing the user out of anything else, and does not loop.
func TestPromptLoginForcesFreshSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	c := e.browser()
	e.signInAndConsent(c, e.authParams(reg.ClientID, cb, "files", ""))
	e.clock.Advance(2 * time.Second)
	ap := e.authParams(reg.ClientID, cb, "files", "")
	ap.Set("prompt", "login")
	resp := e.get(c, "/authorize?"+ap.Encode())
	resp = e.get(c, location(t, resp).String())
	if resp.StatusCode != http.StatusFound || location(t, resp).Path != "/login" {
		t.Fatalf("prompt=login with a session: %d; want the login page", resp.StatusCode)
	}
	login := location(t, resp)
	resp = e.get(c, login.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page for prompt=login: %d, want 200 (no redirect loop)", resp.StatusCode)
	}
	page := body(t, resp)
	resp = e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {match(t, csrfRe, page)}, "next": {login.Query().Get("next")}})
	resp = e.get(c, location(t, resp).String())
	if resp.StatusCode != http.StatusFound || location(t, resp).Query().Get("code") == "" {
		t.Fatalf("after the fresh sign-in: %d; want a code (consent is remembered)", resp.StatusCode)
	}
}

// TestPostAuthorizeContinuesAsGet: a POSTed authorization request becomes a
// top-level GET and sets no cookie of its own.
func TestPostAuthorizeContinuesAsGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	ap := e.authParams(reg.ClientID, cb, "files", "")
	resp := e.postForm(e.browser(), "/authorize", ap.Values)
	wantStatus(t, resp, http.StatusSeeOther)
	loc := location(t, resp)
	if loc.Path != "/authorize" || loc.Query().Get("code_challenge") != ap.Get("code_challenge") || len(resp.Cookies()) != 0 {
		t.Fatalf("POST /authorize: Location %s, cookies %v", loc, resp.Cookies())
	}
}

// TestRefreshWithWrongResourceKeepsToken: a request-shape error rolls back,
// so the client's corrected retry is not mistaken for reuse.
func TestRefreshWithWrongResourceKeepsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	_, tok := e.exchange(reg.ClientID, code, cb, verifier)
	rt := tok["refresh_token"].(string)
	resp, b := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {reg.ClientID}, "resource": {e.resource("notes")}}, "", "")
	if resp.StatusCode != http.StatusBadRequest || b["error"] != "invalid_target" {
		t.Fatalf("widened resource: %d %v; want invalid_target", resp.StatusCode, b)
	}
	resp, b = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {reg.ClientID}, "scope": {"files:read notes:read"}}, "", "")
	if resp.StatusCode != http.StatusBadRequest || b["error"] != "invalid_scope" {
		t.Fatalf("widened scope: %d %v; want invalid_scope", resp.StatusCode, b)
	}
	resp, b = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {reg.ClientID}, "resource": {e.resource("files")}, "scope": {"files:read"}}, "", "")
	if resp.StatusCode != http.StatusOK || b["scope"] != "files:read" {
		t.Fatalf("narrowed retry: %d %v; want 200 with the narrowed scope", resp.StatusCode, b)
	}
}

// TestSignInExpires: a session's sign-in ends SessionMaxAge after the login.
func TestSignInExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	c := e.browser()
	e.signInAndConsent(c, e.authParams(reg.ClientID, cb, "files", ""))
	e.clock.Advance(13 * time.Hour)
	resp := e.get(c, "/authorize?"+e.authParams(reg.ClientID, cb, "files", "").Encode())
	resp = e.get(c, location(t, resp).String())
	if resp.StatusCode != http.StatusFound || location(t, resp).Path != "/login" {
		t.Fatalf("13 h after sign-in: %d; want the login page", resp.StatusCode)
	}
}

// TestLoginThrottled: password guessing from one source is slowed to 10
// attempts a minute after a burst of 20, with a readable 429 page.
func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	c := e.browser()
	page := body(t, e.get(c, "/login"))
	token := match(t, csrfRe, page)
	throttled := 0
	for range 25 {
		resp := e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {"guess guess"}, "csrf_token": {token}})
		b := body(t, resp)
		if resp.StatusCode == http.StatusTooManyRequests {
			throttled++
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(b, "Too many sign-in attempts") {
				t.Fatalf("429 without Retry-After or message")
			}
		}
	}
	if throttled != 5 {
		t.Fatalf("%d of 25 rapid attempts throttled, want the 5 past the burst of 20", throttled)
	}
	e.clock.Advance(time.Minute)
	resp := e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in after waiting: %d", resp.StatusCode)
	}
}
