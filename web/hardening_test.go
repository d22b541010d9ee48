package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		c := e.browser()
		page := body(t, e.get(c, "/login?"+url.Values{"next": {next}}.Encode()))
		resp := e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {match(t, csrfRe, page)}, "next": {next}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("next=%q: redirected to %q, want /", next, got)
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
