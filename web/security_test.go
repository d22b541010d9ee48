package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
)

const cb = "http://127.0.0.1:50000/cb"

// wantAuthorizeErrorRedirect asserts the authorize endpoint redirected to the
// client with error, error_description, state and iss (OAuth 2.1 §4.1.2.1, LX-4).
func (e *env) wantAuthorizeErrorRedirect(ap authParams, code string) {
	e.t.Helper()
	resp := e.get(e.browser(), "/authorize?"+ap.Encode())
	wantStatus(e.t, resp, http.StatusFound)
	loc := location(e.t, resp)
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), ap.Get("redirect_uri")) || q.Get("error") != code ||
		q.Get("error_description") == "" || q.Get("state") != ap.Get("state") || q.Get("iss") != e.issuer {
		e.t.Fatalf("redirect = %s; want error=%s with description, state and iss", loc, code)
	}
}

// wantErrorPage asserts an authorize request got a page and no redirect.
func (e *env) wantErrorPage(ap authParams) {
	e.t.Helper()
	resp := e.get(e.browser(), "/authorize?"+ap.Encode())
	page := body(e.t, resp)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		e.t.Fatalf("status %d, Location %q; want a 400 page and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !strings.Contains(page, `data-testid="error-title"`) {
		e.t.Fatalf("no error page:\n%s", page)
	}
}

func TestSecurityPKCEMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	ap := e.authParams(reg.ClientID, cb, "files", "")
	ap.Del("code_challenge")
	ap.Del("code_challenge_method")
	e.wantAuthorizeErrorRedirect(ap, "invalid_request")
}

func TestSecurityPKCEPlain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	ap := e.authParams(reg.ClientID, cb, "files", "")
	ap.Set("code_challenge", ap.verifier)
	ap.Set("code_challenge_method", "plain")
	e.wantAuthorizeErrorRedirect(ap, "invalid_request")
	ap.Del("code_challenge_method") // a missing method defaults to plain in RFC 7636: refused too
	e.wantAuthorizeErrorRedirect(ap, "invalid_request")
}

func TestSecurityPKCEWrongVerifier(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	wrong := []byte(verifier)
	wrong[0] = map[bool]byte{true: 'b', false: 'a'}[wrong[0] == 'a'] // valid charset, different verifier
	resp, body := e.exchange(reg.ClientID, code, cb, string(wrong))
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v; want 400 invalid_grant", resp.StatusCode, body)
	}
	resp, body = e.exchange(reg.ClientID, code, cb, verifier)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("the code survived a failed PKCE check: %d %v", resp.StatusCode, body)
	}
}

func TestSecurityCodeReplayRevokesTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	resp, tok := e.exchange(reg.ClientID, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	resp, body := e.exchange(reg.ClientID, code, cb, verifier)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("replayed code: %d %v; want invalid_grant", resp.StatusCode, body)
	}
	resp, body = e.refresh(reg.ClientID, tok["refresh_token"].(string))
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after code replay: %d %v; want the grant revoked", resp.StatusCode, body)
	}
}

func TestSecurityRedirectURINotRegistered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	e.wantErrorPage(e.authParams(reg.ClientID, "https://evil.example/cb", "files", ""))
}

func TestSecurityRedirectURIDifferentPortNonLoopback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerClient(map[string]any{"redirect_uris": []string{"https://app.example:8443/cb"}, "token_endpoint_auth_method": "none"})
	e.wantErrorPage(e.authParams(reg.ClientID, "https://app.example:9443/cb", "files", ""))
	// Loopback is the exception: any port matches (RFC 8252 §7.3).
	resp := e.get(e.browser(), "/authorize?"+e.authParams(e.registerPublic(cb).ClientID, "http://127.0.0.1:61000/cb", "files", "").Encode())
	if resp.StatusCode != http.StatusFound || location(t, resp).Path != "/consent" {
		t.Fatalf("loopback with another port: %d; want to continue to consent", resp.StatusCode)
	}
}

func TestSecurityRedirectURIWithFragment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	resp, body := e.register(map[string]any{"redirect_uris": []string{"https://app.example/cb#x"}, "token_endpoint_auth_method": "none"})
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" ||
		!strings.Contains(body["error_description"].(string), "https://app.example/cb#x") {
		t.Fatalf("fragment registration: %d %v; want invalid_redirect_uri naming the URI", resp.StatusCode, body)
	}
	reg := e.registerClient(map[string]any{"redirect_uris": []string{"https://app.example/cb"}, "token_endpoint_auth_method": "none"})
	e.wantErrorPage(e.authParams(reg.ClientID, "https://app.example/cb#x", "files", ""))
}

func TestSecurityErrorBeforeRedirectValidationNeverRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	unknown := e.authParams("no-such-client", "https://evil.example/cb", "files", "")
	e.wantErrorPage(unknown)
	missing := e.authParams("", cb, "files", "")
	e.wantErrorPage(missing)
	// Every other parameter is wrong too: the redirect URI is checked first.
	bad := e.authParams(reg.ClientID, "https://evil.example/cb", "nope", "")
	bad.Set("response_type", "token")
	bad.Del("code_challenge")
	e.wantErrorPage(bad)
	dup := e.authParams(reg.ClientID, cb, "files", "")
	dup.Add("redirect_uri", "https://evil.example/cb")
	e.wantErrorPage(dup)
}

func TestSecurityUnknownResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	ap := e.authParams(reg.ClientID, cb, "files", "")
	ap.Set("resource", e.issuer+"/mcp/nope")
	e.wantAuthorizeErrorRedirect(ap, "invalid_target")
	ap.Set("resource", "https://elsewhere.example/mcp/files")
	e.wantAuthorizeErrorRedirect(ap, "invalid_target")
	ap.Del("resource") // two routes exist, so an absent resource is ambiguous (LX-2)
	e.wantAuthorizeErrorRedirect(ap, "invalid_target")
	// A scope another route offers is dropped, not refused (RFC 6749 §3.3;
	// TestScopesGrantedAsRealClientsAsk); one that is not a scope-token is.
	ap = e.authParams(reg.ClientID, cb, "files", "files:read bad\"scope")
	e.wantAuthorizeErrorRedirect(ap, "invalid_scope")
}

func TestSecurityRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	_, tok := e.exchange(reg.ClientID, code, cb, verifier)
	rt1 := tok["refresh_token"].(string)
	resp, tok2 := e.refresh(reg.ClientID, rt1)
	wantStatus(t, resp, http.StatusOK)
	resp, body := e.refresh(reg.ClientID, rt1) // reuse of the rotated token
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %v; want invalid_grant", resp.StatusCode, body)
	}
	resp, body = e.refresh(reg.ClientID, tok2["refresh_token"].(string))
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("successor after reuse: %d %v; want the family revoked", resp.StatusCode, body)
	}
}

func TestSecurityWrongClientSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerClient(map[string]any{"client_name": "Conf", "redirect_uris": []string{cb}})
	if !strings.HasPrefix(reg.ClientSecret, "lksec_") || reg.ClientSecretExpiresAt == nil || *reg.ClientSecretExpiresAt != 0 {
		t.Fatalf("confidential registration: secret %q, expires_at %v", reg.ClientSecret, reg.ClientSecretExpiresAt)
	}
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}}
	resp, body := e.token(form, reg.ClientID, reg.ClientSecret+"x")
	if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("wrong Basic secret: %d %v %q; want 401 invalid_client with a Basic challenge", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	post := url.Values{"client_id": {reg.ClientID}, "client_secret": {"lksec_wrong"}}
	for k, v := range form {
		post[k] = v
	}
	resp, body = e.token(post, "", "")
	if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" || resp.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("wrong post secret: %d %v", resp.StatusCode, body)
	}
	resp, body = e.token(form, reg.ClientID, reg.ClientSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("right secret after failures: %d %v", resp.StatusCode, body)
	}
}

func TestSecurityCSRFMissingOnLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	c := e.browser()
	body(t, e.get(c, "/login")) // the session has a token; the form omits it
	resp := e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without csrf_token: %d, want 403", resp.StatusCode)
	}
	resp = e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login with a forged csrf_token: %d, want 403", resp.StatusCode)
	}
	// A cross-site form post is refused before the token is even read.
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/login", strings.NewReader("username=alice"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _ = c.Do(req)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login post: %d, want 403", resp.StatusCode)
	}
}

func TestSecurityCSRFMissingOnConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	c := e.browser()
	ap := e.authParams(reg.ClientID, cb, "files", "")
	resp := e.get(c, "/authorize?"+ap.Encode())
	consent := location(t, resp)
	login := location(t, e.get(c, consent.String()))
	page := body(t, e.get(c, login.String()))
	resp = e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {match(t, csrfRe, page)}, "next": {login.Query().Get("next")}})
	wantStatus(t, resp, http.StatusSeeOther)
	page = body(t, e.get(c, consent.String()))
	reqID := match(t, requestIDRe, page)
	resp = e.postForm(c, "/consent", url.Values{"decision": {"approve"}, "request_id": {reqID}})
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Fatalf("consent without csrf_token: %d, want 403 and no redirect", resp.StatusCode)
	}
	// The request is still pending: the real form works afterwards.
	resp = e.postForm(c, "/consent", url.Values{"decision": {"approve"}, "request_id": {reqID}, "csrf_token": {match(t, csrfRe, page)}})
	wantStatus(t, resp, http.StatusSeeOther)
	if location(t, resp).Query().Get("code") == "" {
		t.Fatal("no code after a valid consent")
	}
}

func TestSecurityConsentFromAnotherBrowser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	attacker := e.browser()
	resp := e.get(attacker, "/authorize?"+e.authParams(reg.ClientID, cb, "files", "").Encode())
	consent := location(t, resp)
	victim := e.browser()
	resp = e.get(victim, consent.String())
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("consent link opened in another browser: %d, want 403", resp.StatusCode)
	}
}

func TestDenyRedirectsAccessDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	c := e.browser()
	ap := e.authParams(reg.ClientID, cb, "files", "")
	consent := location(t, e.get(c, "/authorize?"+ap.Encode()))
	login := location(t, e.get(c, consent.String()))
	page := body(t, e.get(c, login.String()))
	e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {e.password}, "csrf_token": {match(t, csrfRe, page)}, "next": {login.Query().Get("next")}})
	page = body(t, e.get(c, consent.String()))
	resp := e.postForm(c, "/consent", url.Values{"decision": {"deny"}, "request_id": {match(t, requestIDRe, page)}, "csrf_token": {match(t, csrfRe, page)}})
	wantStatus(t, resp, http.StatusSeeOther)
	q := location(t, resp).Query()
	if q.Get("error") != "access_denied" || q.Get("state") != ap.Get("state") || q.Get("iss") != e.issuer || q.Get("code") != "" {
		t.Fatalf("deny redirect query = %v", q)
	}
}

func TestConsentRepromptsWhenScopesGrow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	c := e.browser()
	e.signInAndConsent(c, e.authParams(reg.ClientID, cb, "files", "files:read"))
	resp := e.get(c, "/authorize?"+e.authParams(reg.ClientID, cb, "files", "files:read files:write").Encode())
	resp = e.get(c, location(t, resp).String())
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "files:write") || !strings.Contains(page, `data-testid="scope-new"`) {
		t.Fatalf("grown scopes: status %d; want the consent page marking files:write new", resp.StatusCode)
	}
}

func TestCodeExpiresAfter60Seconds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
	e.clock.Advance(61 * time.Second)
	resp, body := e.exchange(reg.ClientID, code, cb, verifier)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("expired code: %d %v", resp.StatusCode, body)
	}
}

func TestCodeBoundToClientRedirectAndResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	a, b := e.registerPublic(cb), e.registerPublic(cb)
	tests := []struct {
		name  string
		form  func(code, verifier string) url.Values
		error string
	}{
		{"other client", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {cb}, "code_verifier": {v}, "client_id": {b.ClientID}}
		}, "invalid_grant"},
		{"other redirect", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"http://127.0.0.1:50000/other"}, "code_verifier": {v}, "client_id": {a.ClientID}}
		}, "invalid_grant"},
		{"other resource", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {cb}, "code_verifier": {v}, "client_id": {a.ClientID}, "resource": {e.resource("notes")}}
		}, "invalid_target"},
	}
	for _, tt := range tests {
		code, verifier := e.codeFlow(a.ClientID, cb, "files", "")
		resp, body := e.token(tt.form(code, verifier), "", "")
		if resp.StatusCode != http.StatusBadRequest || body["error"] != tt.error {
			t.Errorf("%s: %d %v; want %s", tt.name, resp.StatusCode, body, tt.error)
		}
	}
}

// TestConcurrentCodeRedemption: two (and more) simultaneous redemptions of
// one code give exactly one token (LX-12).
func TestConcurrentCodeRedemption(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		e := newEnv(t, s)
		reg := e.registerPublic(cb)
		code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
		const n = 6
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, _ := e.exchange(reg.ClientID, code, cb, verifier)
				statuses <- resp.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		ok := 0
		for st := range statuses {
			if st == http.StatusOK {
				ok++
			} else if st != http.StatusBadRequest {
				t.Errorf("status %d, want 200 or 400", st)
			}
		}
		if ok != 1 {
			t.Fatalf("%d redemptions succeeded, want exactly 1", ok)
		}
	})
}

// TestConcurrentRefresh: two simultaneous uses of one refresh token give one
// success, and the loser's reuse revokes the family (no reuse window, LX-12).
func TestConcurrentRefresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		e := newEnv(t, s)
		reg := e.registerPublic(cb)
		code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
		_, tok := e.exchange(reg.ClientID, code, cb, verifier)
		rt := tok["refresh_token"].(string)
		type result struct {
			status int
			body   map[string]any
		}
		results := make(chan result, 2)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				resp, b := e.refresh(reg.ClientID, rt)
				results <- result{resp.StatusCode, b}
			})
		}
		wg.Wait()
		close(results)
		var winner string
		ok := 0
		for r := range results {
			if r.status == http.StatusOK {
				ok++
				winner = r.body["refresh_token"].(string)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent refreshes succeeded, want exactly 1", ok)
		}
		resp, b := e.refresh(reg.ClientID, winner)
		if resp.StatusCode != http.StatusBadRequest || b["error"] != "invalid_grant" {
			t.Fatalf("winner's successor after the concurrent reuse: %d %v; want the family revoked", resp.StatusCode, b)
		}
	})
}

// TestPageHeaders: CSP with frame-ancestors 'none', no-referrer, no-store,
// and the session cookie's attributes (LX-11, PX-3, PX-4).
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	resp := e.get(e.browser(), "/login")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'", "script-src 'self' 'nonce-", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers = %v", resp.Header)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, not Secure on an http issuer", cookies)
	}
}
