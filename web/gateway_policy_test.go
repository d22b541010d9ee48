package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

func (e *env) createRoute(r *oauth.Route) {
	e.t.Helper()
	r.CreatedAt = e.clock.Now()
	if err := e.store.CreateRoute(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) mcpCall(route, token, tool string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.resource(route),
		strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"`+tool+`","arguments":{}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// TestGatewayStepUp (RS-5, RS-16): a tool that needs an extra scope gets 403
// insufficient_scope naming granted + needed scopes; re-authorizing shows only
// the new scope as new, and the new token passes.
func TestGatewayStepUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.createRoute(&oauth.Route{Name: "vault", Upstream: up.srv.URL + "/mcp", Scopes: []string{"vault:read", "vault:delete"},
		StepUp: []oauth.StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{"vault:delete"}}}})
	m := decodeJSON(t, e.get(http.DefaultClient, "/.well-known/oauth-protected-resource/mcp/vault"))
	if got := toStrings(m["scopes_supported"]); len(got) != 1 || got[0] != "vault:read" {
		t.Fatalf("scopes_supported = %v, want only the base scope (RS-4)", got)
	}
	reg := e.registerPublic(cb)
	c := e.browser()
	ap := e.authParams(reg.ClientID, cb, "vault", "")
	back := e.signInAndConsent(c, ap)
	resp, tok := e.exchange(reg.ClientID, back.Query().Get("code"), cb, ap.verifier)
	wantStatus(t, resp, http.StatusOK)
	if tok["scope"] != "vault:read" {
		t.Fatalf("default scope = %v, want the base scope only", tok["scope"])
	}
	token := tok["access_token"].(string)

	resp = e.mcpCall("vault", token, "read_secret")
	resp.Body.Close()
	wantStatus(t, resp, http.StatusOK)
	hits := up.hits.Load()
	resp = e.mcpCall("vault", token, "delete_secret")
	resp.Body.Close()
	www := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(www, `error="insufficient_scope"`) ||
		!strings.Contains(www, `scope="vault:read vault:delete"`) || !strings.Contains(www, "resource_metadata=") || up.hits.Load() != hits {
		t.Fatalf("step-up needed: %d %q; want 403 insufficient_scope with granted+needed and nothing upstream", resp.StatusCode, www)
	}
	// RS-16: the elevation is logged with the request's correlation id.
	if !regexp.MustCompile(`msg="gateway: step-up required" route=vault user_id=usr_alice needed=vault:delete request_id=\S+`).MatchString(e.logs.String()) {
		t.Fatalf("no step-up log line with a request id:\n%s", e.logs.String())
	}

	ap = e.authParams(reg.ClientID, cb, "vault", "vault:read vault:delete")
	resp = e.get(c, location(t, e.get(c, "/authorize?"+ap.Encode())).String())
	page := body(t, resp)
	if strings.Count(page, `data-testid="scope-new"`) != 1 || !strings.Contains(page, "vault:delete") {
		t.Fatalf("re-consent page should mark exactly the new scope:\n%s", page)
	}
	resp = e.postForm(c, "/consent", url.Values{"decision": {"approve"}, "csrf_token": {match(t, csrfRe, page)}, "request_id": {match(t, requestIDRe, page)}})
	back = location(t, resp)
	_, tok = e.exchange(reg.ClientID, back.Query().Get("code"), cb, ap.verifier)
	resp = e.mcpCall("vault", tok["access_token"].(string), "delete_secret")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after step-up: %d, want 200", resp.StatusCode)
	}
}

// TestGatewayPolicy (RS-11, LX-9): a route may be limited to admins or named
// users; others get a readable 403, not a token error.
func TestGatewayPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	e.createRoute(&oauth.Route{Name: "admins", Upstream: up.srv.URL, AdminOnly: true})
	e.createRoute(&oauth.Route{Name: "team", Upstream: up.srv.URL, AllowedUsers: []string{"carol", "alice"}})
	e.createRoute(&oauth.Route{Name: "others", Upstream: up.srv.URL, AllowedUsers: []string{"carol"}})
	for route, want := range map[string]int{"admins": 403, "team": 200, "others": 403} {
		tok, _ := e.mintToken(e.user.ID, route, "")
		resp := e.mcpCall(route, tok, "echo")
		b := body(t, resp)
		www := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", route, resp.StatusCode, want)
		}
		if want == 403 && (strings.Contains(www, "invalid_token") || !strings.Contains(www, "resource_metadata=") || !strings.Contains(b, "Ask an administrator")) {
			t.Errorf("%s: denial %q %s; want a readable policy message with resource_metadata", route, www, b)
		}
	}
	if up.hits.Load() != 1 {
		t.Fatalf("upstream hits = %d, want only the allowed call", up.hits.Load())
	}
}

// TestGatewayUpstreamCredential (PX-7): the upstream gets its own credential,
// unsealed from the database, never the client's token.
func TestGatewayUpstreamCredential(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	up := newEchoUpstream(t)
	secrets, _ := oauth.NewSecrets(bytes.Repeat([]byte("k"), 32)) // the env's master secret
	e.createRoute(&oauth.Route{Name: "cred", Upstream: up.srv.URL, UpstreamHeaderName: "Authorization",
		UpstreamHeaderSealed: secrets.Seal([]byte("Bearer upstream-secret"), oauth.UpstreamHeaderAAD("cred"))})
	tok, _ := e.mintToken(e.user.ID, "cred", "")
	resp := e.mcpCall("cred", tok, "echo")
	resp.Body.Close()
	wantStatus(t, resp, http.StatusOK)
	if got := up.last.Load().Header.Get("Authorization"); got != "Bearer upstream-secret" {
		t.Fatalf("upstream Authorization = %q, want its own credential", got)
	}
}
