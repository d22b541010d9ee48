package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

var consentScopeRe = regexp.MustCompile(`data-testid="scope">\s*<code>([^<]*)</code>`)

// TestScopesGrantedAsRealClientsAsk (AS-29, RFC 6749 §3.3): through the
// real binary on both databases, with a wide and a narrow route side by
// side, a client asking for more than the narrow route offers still logs
// in and gets exactly requested ∩ (route ∪ offline_access); a request
// naming only foreign scopes gets the route's base scopes; the consent
// page, the token response and the access token agree; a refresh never
// broadens; a scope that is not a scope-token is still invalid_scope.
func TestScopesGrantedAsRealClientsAsk(t *testing.T) {
	eachBinaryBackend(t, func(t *testing.T, in *installation) {
		in.cli("", "migrate")
		in.cli("correct horse battery\n", "users", "add", "--username", "alice", "--password-stdin")
		in.cli("", "routes", "add", "--name", "wide", "--upstream", "http://127.0.0.1:9/mcp", "--scope", "files:read", "--scope", "files:write", "--scope", "notes:read")
		in.cli("", "routes", "add", "--name", "narrow", "--upstream", "http://127.0.0.1:9/mcp", "--scope", "tools:read", "--scope", "tools:call")
		addr := freeAddr(t)
		p := in.serve(addr, "http://"+addr)
		e := &env{t: t, issuer: p.base, user: &oauth.User{Username: "alice"}, password: "correct horse battery"}

		meta := decodeJSON(t, e.get(http.DefaultClient, "/.well-known/oauth-authorization-server"))
		var supported []string
		for _, s := range meta["scopes_supported"].([]any) {
			supported = append(supported, s.(string))
		}
		if len(supported) < 6 {
			t.Fatalf("scopes_supported = %v, want every route's scopes and offline_access", supported)
		}
		tests := []struct{ name, ask, want string }{
			{"the metadata's whole scopes_supported", strings.Join(supported, " "), "tools:read tools:call offline_access"},
			{"OpenID scopes beside a route scope", "openid profile email tools:read", "tools:read"},
			{"a vendor scope alone", "claudeai", "tools:read tools:call"},
			{"foreign scopes and offline_access", "openid files:read offline_access", "tools:read tools:call offline_access"},
			{"exactly a route scope", "tools:call", "tools:call"},
			{"no scope", "", "tools:read tools:call"},
			{"repeated spaces and duplicates", "tools:read  tools:read phone", "tools:read"},
		}
		for _, tt := range tests {
			reg := e.registerPublic(cb)
			code, verifier := e.codeFlow(reg.ClientID, cb, "narrow", tt.ask)
			var shown []string
			for _, m := range consentScopeRe.FindAllStringSubmatch(e.lastConsentPage, -1) {
				shown = append(shown, m[1])
			}
			if got := strings.Join(shown, " "); !sameScopes(got, tt.want) {
				t.Errorf("%s: consent page shows %q, want %q", tt.name, got, tt.want)
			}
			resp, tok := e.exchange(reg.ClientID, code, cb, verifier)
			wantStatus(t, resp, http.StatusOK)
			if got, _ := tok["scope"].(string); !sameScopes(got, tt.want) {
				t.Errorf("%s: token response scope = %v, want %q", tt.name, tok["scope"], tt.want)
			}
			if got := accessTokenScope(t, tok["access_token"].(string)); !sameScopes(got, tt.want) {
				t.Errorf("%s: access token scope = %q, want %q", tt.name, got, tt.want)
			}
			if tt.name != "the metadata's whole scopes_supported" {
				continue
			}
			// A refresh may narrow, never broaden (RFC 6749 §6).
			rt := tok["refresh_token"].(string)
			resp, body := e.token(refreshForm(reg.ClientID, rt, "tools:read files:read"), "", "")
			if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_scope" {
				t.Errorf("broadening refresh: %d %v, want invalid_scope", resp.StatusCode, body)
			}
			resp, body = e.token(refreshForm(reg.ClientID, rt, "tools:read"), "", "")
			if resp.StatusCode != http.StatusOK || body["scope"] != "tools:read" || accessTokenScope(t, body["access_token"].(string)) != "tools:read" {
				t.Errorf("narrowing refresh: %d %v, want scope tools:read", resp.StatusCode, body)
			}
		}

		// Not a scope-token (RFC 6749 §3.3 syntax): still refused.
		reg := e.registerPublic(cb)
		for _, bad := range []string{"tools:read\tx", `tools"read`, `a\b`, "tööls"} {
			ap := e.authParams(reg.ClientID, cb, "narrow", bad)
			e.wantAuthorizeErrorRedirect(ap, "invalid_scope")
		}
		// The operator learns which scopes were dropped: the log names them
		// and the client row keeps them for the console.
		if logs := p.logs.String(); !strings.Contains(logs, "scopes not offered were dropped") || !strings.Contains(logs, "claudeai") {
			t.Errorf("the server log does not name the dropped scopes:\n%s", logs)
		}
	})
}

// sameScopes compares space-separated scope lists as sets (RFC 6749 §3.3:
// the order does not matter), refusing duplicates.
func sameScopes(got, want string) bool {
	g, w := strings.Fields(got), strings.Fields(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w) && len(slices.Compact(g)) == len(w)
}

func refreshForm(clientID, rt, scope string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}, "scope": {scope}}
}

// accessTokenScope reads the scope claim of a JWT access token (unverified:
// the gateway tests verify signatures).
func accessTokenScope(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.Scope
}

// TestConsoleShowsDroppedScopes: the client's console page names the
// scopes it asked for that no route offers.
func TestConsoleShowsDroppedScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerPublic(cb)
	e.codeFlow(reg.ClientID, cb, "notes", "notes:read phone vendor:x")
	e.addUser("root", "admin password 1", true)
	c := e.browser()
	e.loginAs(c, "root", "admin password 1")
	page := body(t, e.get(c, "/admin/client?id="+url.QueryEscape(reg.ClientID)))
	if !strings.Contains(page, "Asked for scopes no route offers") || !strings.Contains(page, "phone vendor:x") {
		t.Errorf("the client's console page does not name the dropped scopes:\n%.3000s", page)
	}
}
