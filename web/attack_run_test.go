package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// Regression tests for the smaller findings of issue 11's attack run.

// TestAuthorizeRefusesRequestObjects: request, request_uri and a
// response_mode other than query change what a request means; they are
// refused with the spec's codes, never ignored.
func TestAuthorizeRefusesRequestObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	for param, code := range map[string]string{"request": "request_not_supported", "request_uri": "request_uri_not_supported", "response_mode": "invalid_request"} {
		ap := e.authParams(reg.ClientID, cb, "notes", "")
		ap.Set(param, map[string]string{"request": "eyJhbGciOiJub25lIn0.e30.", "request_uri": "urn:ietf:params:oauth:request_uri:x", "response_mode": "fragment"}[param])
		e.wantAuthorizeErrorRedirect(ap, code)
	}
	ap := e.authParams(reg.ClientID, cb, "notes", "")
	ap.Set("response_mode", "query")
	if q := e.signInAndConsent(e.browser(), ap).Query(); q.Get("code") == "" {
		t.Errorf("response_mode=query refused: %v", q)
	}
}

// TestGatewayTwoAuthorizationHeaders: the first valid, the second not (or
// the reverse): which one counts depends on the reader, so 400.
func TestGatewayTwoAuthorizationHeaders(t *testing.T) {
	t.Parallel()
	e, up, tok := echoEnv(t, dbtest.SQLite(t))
	req, _ := http.NewRequest(http.MethodPost, e.resource("echo"), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header["Authorization"] = []string{"Bearer " + tok, "Bearer forged"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
		t.Errorf("two Authorization headers: %d %q, want 400 invalid_request", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the upstream saw %d requests", n)
	}
}

// TestClientNamesCannotSpoofThePage: bidi overrides and zero-width
// characters in any client-supplied text a page shows are refused at
// registration.
func TestClientNamesCannotSpoofThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	for _, name := range []string{"Trusted\u202eppA", "Goo\u200bgle", "A\u2066B\u2069", "Pay\u00adPal", "x\ufeff", "r\u200fl"} {
		resp, body := e.register(map[string]any{"client_name": name, "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"})
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
			t.Errorf("client_name %+q: %d %v, want invalid_client_metadata", name, resp.StatusCode, body)
		}
	}
	resp, body := e.register(map[string]any{"client_name": "Café Ωmega 日本", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none",
		"contacts": []string{"ops\u202e@example.com"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bidi override in contacts: %d %v", resp.StatusCode, body)
	}
	if resp, body := e.register(map[string]any{"client_name": "Café Ωmega 日本", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"}); resp.StatusCode != http.StatusCreated {
		t.Errorf("a plain non-ASCII name refused: %d %v", resp.StatusCode, body)
	}
}

// TestAuthorizeErrorsAreNoOpenRedirector (RFC 9700 §4.11.2): an error in
// an authorization request of a dynamically registered client that never
// completed a flow is a page, not a redirect to its (anybody's) https URI;
// loopback URIs and clients that have completed a flow keep the redirect.
func TestAuthorizeErrorsAreNoOpenRedirector(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	const evil = "https://evil.example/landing"
	reg := e.registerClient(map[string]any{"client_name": "Bouncer", "redirect_uris": []string{evil}, "token_endpoint_auth_method": "none"})
	ap := e.authParams(reg.ClientID, evil, "notes", "")
	ap.Del("code_challenge")
	resp := e.get(e.browser(), "/authorize?"+ap.Encode())
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, "code_challenge") {
		t.Fatalf("never-used DCR client, https redirect: %d Location=%q; want the error page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// prompt=none without a session ends without user interaction too.
	ap = e.authParams(reg.ClientID, evil, "notes", "")
	ap.Set("prompt", "none")
	c := e.browser()
	resp = e.get(c, "/authorize?"+ap.Encode())
	wantStatus(t, resp, http.StatusFound)
	resp = e.get(c, location(t, resp).String())
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusBadRequest || strings.Contains(loc, "evil.example") {
		t.Fatalf("prompt=none for a never-used DCR client: %d Location=%q; want the error page", resp.StatusCode, loc)
	}
	resp.Body.Close()
	// Loopback: redirected as before (only the user's own machine).
	loop := e.registerPublic(cb)
	lp := e.authParams(loop.ClientID, cb, "notes", "")
	lp.Del("code_challenge")
	e.wantAuthorizeErrorRedirect(lp, "invalid_request")
	// After a completed flow the client is no longer anybody's.
	ap = e.authParams(reg.ClientID, evil, "notes", "")
	code := e.signInAndConsent(e.browser(), ap).Query().Get("code")
	if r, tok := e.exchange(reg.ClientID, code, evil, ap.verifier); r.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", r.StatusCode, tok)
	}
	ap = e.authParams(reg.ClientID, evil, "notes", "")
	ap.Del("code_challenge")
	e.wantAuthorizeErrorRedirect(ap, "invalid_request")
}

// TestAuthorizeRefusesUsersTheRoutePolicyDenies: a user whom a route's
// policy does not let use it gets a readable 403 page at consent, and no
// code, whether or not consent was remembered.
func TestAuthorizeRefusesUsersTheRoutePolicyDenies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.createRoute(&oauth.Route{Name: "carols", Upstream: "http://127.0.0.1:9/mcp", Scopes: []string{"c:read"}, AllowedUsers: []string{"carol"}})
	e.createRoute(&oauth.Route{Name: "admins", Upstream: "http://127.0.0.1:9/mcp", Scopes: []string{"a:read"}, AdminOnly: true})
	reg := e.registerPublic(cb)
	for _, route := range []string{"carols", "admins"} {
		c := e.browser()
		ap := e.authParams(reg.ClientID, cb, route, "")
		resp := e.get(c, "/authorize?"+ap.Encode())
		wantStatus(t, resp, http.StatusFound)
		resp = e.get(c, location(t, resp).String())
		login := location(t, resp)
		page := body(t, e.get(c, login.String()))
		resp = e.postForm(c, "/login", url.Values{"username": {e.user.Username}, "password": {e.password},
			"csrf_token": {match(t, csrfRe, page)}, "next": {login.Query().Get("next")}})
		wantStatus(t, resp, http.StatusSeeOther)
		resp = e.get(c, location(t, resp).String())
		page = body(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Ask an administrator") || strings.Contains(page, `value="approve"`) {
			t.Errorf("%s: %d, want the 403 policy page without a consent form", route, resp.StatusCode)
		}
	}
}
