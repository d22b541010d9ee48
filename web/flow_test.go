package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// TestFullFlow: register → authorize → login → consent → token → refresh →
// refresh again, asserting every response field, on SQLite and Postgres.
func TestFullFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *db.Store) {
		e := newEnv(t, s)
		const redirect = "http://127.0.0.1:43111/callback"

		resp, reg := e.register(map[string]any{
			"client_name": "Flow Client", "redirect_uris": []string{redirect},
			"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
			"response_types": []string{"code"}, "software_id": "flow-test", "software_version": "1.2.3",
		})
		wantStatus(t, resp, http.StatusCreated)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("register Cache-Control = %q, want no-store", got)
		}
		clientID, _ := reg["client_id"].(string)
		if clientID == "" || reg["client_secret"] != nil || reg["client_secret_expires_at"] != nil {
			t.Fatalf("public registration = %v; want client_id and no secret", reg)
		}
		if reg["client_name"] != "Flow Client" || reg["token_endpoint_auth_method"] != "none" ||
			reg["software_id"] != "flow-test" || reg["client_id_issued_at"] == nil {
			t.Errorf("registration response fields = %v", reg)
		}

		ap := e.authParams(clientID, redirect, "files", "files:read")
		back := e.signInAndConsent(e.browser(), ap)
		q := back.Query()
		if back.Host != "127.0.0.1:43111" || back.Path != "/callback" {
			t.Fatalf("redirected to %s, want the registered callback", back)
		}
		if q.Get("state") != ap.Get("state") || q.Get("iss") != e.issuer || !strings.HasPrefix(q.Get("code"), oauth.PrefixCode) {
			t.Fatalf("callback query = %v; want code, state and iss", q)
		}

		resp, tok := e.exchange(clientID, q.Get("code"), redirect, ap.verifier)
		wantStatus(t, resp, http.StatusOK)
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
			t.Errorf("token response cache headers = %q / %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Pragma"))
		}
		e.checkTokenResponse(tok, clientID, "files", "files:read")

		rt1 := tok["refresh_token"].(string)
		resp, tok2 := e.refresh(clientID, rt1)
		wantStatus(t, resp, http.StatusOK)
		e.checkTokenResponse(tok2, clientID, "files", "files:read")
		rt2 := tok2["refresh_token"].(string)
		if rt2 == rt1 || tok2["access_token"] == tok["access_token"] {
			t.Fatal("refresh did not rotate the tokens (AS-17)")
		}

		resp, tok3 := e.refresh(clientID, rt2)
		wantStatus(t, resp, http.StatusOK)
		e.checkTokenResponse(tok3, clientID, "files", "files:read")

		// A second login for the same scopes skips the consent page.
		ap = e.authParams(clientID, redirect, "files", "files:read")
		c := e.browser()
		back = e.signInAndConsent(c, ap)
		if back.Query().Get("code") == "" {
			t.Fatalf("second flow: no code in %s", back)
		}
		resp = e.get(c, "/authorize?"+e.authParams(clientID, redirect, "files", "files:read").Encode())
		resp = e.get(c, location(t, resp).String())
		if resp.StatusCode != http.StatusFound || location(t, resp).Query().Get("code") == "" {
			t.Fatalf("remembered consent: status %d; want a redirect with a code", resp.StatusCode)
		}
	})
}

// checkTokenResponse asserts every field of a token response and the JWT's
// claims (RFC 9068, DESIGN.md §Tokens).
func (e *env) checkTokenResponse(tok map[string]any, clientID, route, scope string) {
	t := e.t
	t.Helper()
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(900) || tok["scope"] != scope {
		t.Fatalf("token response = %v", tok)
	}
	if rt, _ := tok["refresh_token"].(string); !strings.HasPrefix(rt, oauth.PrefixRefreshToken) || len(rt) < 40 {
		t.Fatalf("refresh_token %q lacks the prefix or entropy", rt)
	}
	raw, _ := tok["access_token"].(string)
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("access token is not an ES256 JWT: %v", err)
	}
	if typ := parsed.Headers[0].ExtraHeaders[jose.HeaderType]; typ != "at+jwt" {
		t.Errorf("typ = %v, want at+jwt", typ)
	}
	if parsed.Headers[0].KeyID != e.provider.Keys().ActiveKeyID() {
		t.Errorf("kid = %q, want the active key", parsed.Headers[0].KeyID)
	}
	c, err := e.provider.Keys().VerifyAccessToken(raw, e.issuer, e.resource(route), e.clock.Now())
	if err != nil {
		t.Fatalf("VerifyAccessToken: %v", err)
	}
	if c.Subject != e.user.ID || c.ClientID != clientID || c.Scope != scope || c.ID == "" || c.GrantID == "" {
		t.Errorf("claims = %+v", c)
	}
	if got := c.Expiry.Time().Sub(c.IssuedAt.Time()); got != 15*time.Minute {
		t.Errorf("lifetime = %s, want 15m", got)
	}
	if _, err := e.provider.Keys().VerifyAccessToken(raw, e.issuer, e.resource("notes"), e.clock.Now()); err == nil {
		t.Error("token verified for another route's audience")
	}
}

// TestMetadata checks RFC 8414 / OIDC discovery (AS-4, AS-23, LX-4, LX-6, LX-10).
func TestMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp := e.get(http.DefaultClient, path)
		wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s Content-Type = %q", path, ct)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s lacks CORS", path)
		}
		m := decodeJSON(t, resp)
		want := map[string]any{
			"issuer": e.issuer, "authorization_endpoint": e.issuer + "/authorize", "token_endpoint": e.issuer + "/token",
			"registration_endpoint": e.issuer + "/register", "jwks_uri": e.issuer + "/jwks.json",
			"authorization_response_iss_parameter_supported": true, "client_id_metadata_document_supported": true,
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s %s = %v, want %v", path, k, m[k], v)
			}
		}
		if got := toStrings(m["code_challenge_methods_supported"]); !slices.Equal(got, []string{"S256"}) {
			t.Errorf("code_challenge_methods_supported = %v, want [S256]", got)
		}
		if got := toStrings(m["scopes_supported"]); !slices.Equal(got, []string{"files:read", "files:write", "notes:read", "offline_access"}) {
			t.Errorf("scopes_supported = %v", got)
		}
		if got := toStrings(m["token_endpoint_auth_methods_supported"]); !slices.Equal(got, []string{"none", "client_secret_basic", "client_secret_post", "private_key_jwt"}) {
			t.Errorf("token_endpoint_auth_methods_supported = %v", got)
		}
		if m["introspection_endpoint"] != e.issuer+"/introspect" || m["revocation_endpoint"] != e.issuer+"/revoke" {
			t.Errorf("introspection/revocation endpoints = %v / %v", m["introspection_endpoint"], m["revocation_endpoint"])
		}
		if m["userinfo_endpoint"] != e.issuer+"/userinfo" {
			t.Errorf("userinfo_endpoint = %v", m["userinfo_endpoint"])
		}
	}
	resp := e.get(http.DefaultClient, "/jwks.json")
	jwks := decodeJSON(t, resp)
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["kid"] != e.provider.Keys().ActiveKeyID() || keys[0].(map[string]any)["d"] != nil {
		t.Fatalf("jwks = %v; want one public key with the active kid", jwks)
	}
}

// TestMetadataWithoutRegistration: the registration switch hides the endpoint.
func TestMetadataWithoutRegistration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOpts{disableRegistration: true})
	m := decodeJSON(t, e.get(http.DefaultClient, "/.well-known/oauth-authorization-server"))
	if _, ok := m["registration_endpoint"]; ok {
		t.Fatal("registration_endpoint advertised while registration is off")
	}
	resp, body := e.register(map[string]any{"redirect_uris": []string{"https://a.example/cb"}})
	if resp.StatusCode != http.StatusForbidden || body["error"] == nil {
		t.Fatalf("register while off: %d %v", resp.StatusCode, body)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestHealth covers /healthz and /readyz.
func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	wantStatus(t, e.get(http.DefaultClient, "/healthz"), http.StatusOK)
	wantStatus(t, e.get(http.DefaultClient, "/readyz"), http.StatusOK)
	_ = context.Background()
}

// TestCORSOnPublicEndpoints: browser clients (the MCP Inspector) can call
// metadata, registration and token cross-origin, without credentials.
func TestCORSOnPublicEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	for _, path := range []string{"/token", "/register", "/.well-known/oauth-authorization-server", "/jwks.json"} {
		req, _ := http.NewRequest(http.MethodOptions, e.issuer+path, nil)
		req.Header.Set("Origin", "http://localhost:6274")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, h)
		}
	}
	resp, _ := e.token(url.Values{"grant_type": {"password"}}, "", "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("token error response lacks CORS")
	}
}
