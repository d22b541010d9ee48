package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// Fuzz targets that need a Store run against SQLite from db/dbtest (this
// package is oauth_test, so db importing oauth is no cycle).

const fuzzIssuer = "https://lk.example"

// fuzzClientSecret is the confidential fuzz client's secret.
const fuzzClientSecret = "lksec_fuzz"

// fuzzProvider is a Provider over a fresh SQLite store holding two routes
// and clients of each kind. Metadata documents are off: nothing is fetched.
func fuzzProvider(f *testing.F) (*oauth.Provider, map[string]*oauth.Route) {
	f.Helper()
	ctx := context.Background()
	store := dbtest.SQLite(f)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	secrets, err := oauth.NewSecrets(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		f.Fatal(err)
	}
	keys, err := oauth.NewKeySet(ctx, store, secrets, clock, 16*time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	routes := map[string]*oauth.Route{
		"files": {Name: "files", Upstream: "http://127.0.0.1:9/mcp", Scopes: []string{"files:read", "files:write", "files:delete"},
			StepUp: []oauth.StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{"files:delete"}}}},
		"notes": {Name: "notes", Upstream: "http://127.0.0.1:9/notes", Scopes: []string{"notes"}},
	}
	for _, r := range routes {
		r.CreatedAt = now
		if err := store.CreateRoute(ctx, r); err != nil {
			f.Fatal(err)
		}
	}
	both := []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken}
	for _, c := range []*oauth.Client{
		{ID: "lkc_pub", Name: "Public", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: both, ResponseTypes: []string{"code"},
			RedirectURIs: []string{"http://127.0.0.1/cb", "https://app.example/cb?x=1", "com.example.app:/cb"}},
		{ID: "lkc_one", Name: "One", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: both, ResponseTypes: []string{"code"},
			RedirectURIs: []string{"http://[::1]:8080/"}},
		{ID: "lkc_conf", Name: "Conf", TokenEndpointAuthMethod: oauth.AuthClientSecretBasic, SecretHash: oauth.HashSecret(fuzzClientSecret),
			GrantTypes: both, ResponseTypes: []string{"code"}, RedirectURIs: []string{"https://conf.example/cb"}},
		{ID: "lkc_refresh", Name: "Refresh only", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantRefreshToken},
			RedirectURIs: []string{"https://r.example/cb"}},
		{ID: "lkc_off", Name: "Disabled", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: both, Disabled: true,
			RedirectURIs: []string{"https://off.example/cb"}},
	} {
		c.Source, c.CreatedAt = oauth.SourceStatic, now
		if err := store.CreateClient(ctx, c); err != nil {
			f.Fatal(err)
		}
	}
	p, err := oauth.New(oauth.Config{Issuer: fuzzIssuer, ClientMetadata: oauth.ClientMetadataOff}, store, keys, oauth.WithClock(clock))
	if err != nil {
		f.Fatal(err)
	}
	return p, routes
}

// FuzzParseAuthorize: an authorization request (OAuth 2.1 §4.1.1) either
// fails without a redirect, or redirects only to a URI registered for the
// client, with error, state and iss; an accepted one has a valid S256
// challenge, a registered redirect URI, a published route as resource,
// and scopes within the route's ∪ offline_access, step-up ones only when
// asked for. Attacker input never causes a server_error.
func FuzzParseAuthorize(f *testing.F) {
	p, routes := fuzzProvider(f)
	challenge := oauth.S256Challenge(strings.Repeat("v", 43))
	base := url.Values{
		"client_id": {"lkc_pub"}, "redirect_uri": {"http://127.0.0.1:50000/cb"}, "response_type": {"code"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"},
		"resource": {fuzzIssuer + "/mcp/files"}, "scope": {"files:read offline_access"},
	}
	f.Add(base.Encode())
	for _, mod := range []func(v url.Values){
		func(v url.Values) { v.Del("redirect_uri") },
		func(v url.Values) { v.Set("client_id", "lkc_one"); v.Del("redirect_uri"); v.Del("resource") },
		func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
		func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:1@evil.example/cb") },
		func(v url.Values) { v.Set("redirect_uri", "https://app.example/cb?x=1&y=2") },
		func(v url.Values) { v.Add("client_id", "lkc_conf") },
		func(v url.Values) { v.Set("client_id", "https://app.example/client.json") },
		func(v url.Values) { v.Set("client_id", "lkc_refresh"); v.Set("redirect_uri", "https://r.example/cb") },
		func(v url.Values) { v.Set("client_id", "lkc_off"); v.Set("redirect_uri", "https://off.example/cb") },
		func(v url.Values) { v.Set("response_type", "token") },
		func(v url.Values) { v.Set("code_challenge_method", "plain") },
		func(v url.Values) { v.Set("code_challenge", challenge[:42]+"=") },
		func(v url.Values) { v.Set("scope", "files:delete") },
		func(v url.Values) { v.Set("scope", "openid a\"b") },
		func(v url.Values) { v.Add("resource", fuzzIssuer+"/mcp/notes") },
		func(v url.Values) { v.Set("resource", "https://LK.example:443/mcp/notes/") },
		func(v url.Values) { v.Set("resource", "https://evil.example/mcp/files") },
		func(v url.Values) { v.Set("request_uri", "urn:x") },
		func(v url.Values) { v.Set("response_mode", "fragment") },
		func(v url.Values) { v.Set("prompt", "select_account") },
		func(v url.Values) { v.Set("state", strings.Repeat("s", 2049)) },
		func(v url.Values) { v.Add("state", "t") },
	} {
		v := url.Values{}
		for k, vs := range base {
			v[k] = slices.Clone(vs)
		}
		mod(v)
		f.Add(v.Encode())
	}
	f.Fuzz(func(t *testing.T, query string) {
		params, _ := url.ParseQuery(query) // as r.URL.Query() reads it
		ctx := context.Background()
		res, err := p.ParseAuthorize(ctx, params)
		if err != nil {
			var e *oauth.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *oauth.Error", err)
			}
			if e.Code == oauth.CodeServerError {
				t.Fatalf("server_error for %q: %v", query, err)
			}
			if e.NoRedirect {
				return
			}
			if res == nil || res.Client == nil || res.Request == nil {
				t.Fatalf("redirectable %q without the client and request", e.Code)
			}
			checkErrorRedirect(t, p, res, e)
			return
		}
		req, c := res.Request, res.Client
		if c.Disabled || !slices.Contains(c.GrantTypes, oauth.GrantAuthorizationCode) || len(params["client_id"]) != 1 {
			t.Fatalf("accepted for client %q (disabled %v, grants %q)", c.ID, c.Disabled, c.GrantTypes)
		}
		if !oauth.MatchRedirectURI(c.RedirectURIs, req.RedirectURI) {
			t.Fatalf("accepted redirect_uri %q, not registered %q", req.RedirectURI, c.RedirectURIs)
		}
		if params.Get("response_type") != "code" || params.Get("code_challenge_method") != oauth.PKCEMethodS256 || params.Has("request") || params.Has("request_uri") {
			t.Fatalf("accepted %q", query)
		}
		if len(req.CodeChallenge) != 43 || strings.Trim(req.CodeChallenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("accepted code_challenge %q", req.CodeChallenge)
		}
		route := routes[req.Route]
		if route == nil || res.Route == nil || res.Route.Name != req.Route || req.Resource != oauth.ResourceURL(fuzzIssuer, req.Route) {
			t.Fatalf("accepted route %q resource %q", req.Route, req.Resource)
		}
		asked := strings.Split(params.Get("scope"), " ")
		for _, s := range req.Scopes {
			if !slices.Contains(route.Scopes, s) && s != oauth.ScopeOfflineAccess {
				t.Fatalf("granted %q outside route %q", s, route.Name)
			}
			if !slices.Contains(route.BaseScopes(), s) && s != oauth.ScopeOfflineAccess && !slices.Contains(asked, s) {
				t.Fatalf("granted step-up scope %q without asking", s)
			}
		}
		if len(req.State) > 2048 || req.State != params.Get("state") {
			t.Fatalf("state %q", req.State)
		}
		switch req.Prompt {
		case "", "none", "login", "consent":
		default:
			t.Fatalf("prompt %q accepted", req.Prompt)
		}
	})
}

// checkErrorRedirect: the error goes to the request's (registered)
// redirect URI, its own query kept, with error, state and iss (RFC 9207).
func checkErrorRedirect(t *testing.T, p *oauth.Provider, res *oauth.AuthorizeResult, e *oauth.Error) {
	t.Helper()
	req := res.Request
	if !oauth.MatchRedirectURI(res.Client.RedirectURIs, req.RedirectURI) {
		t.Fatalf("error %q would redirect to unregistered %q", e.Code, req.RedirectURI)
	}
	to, err := url.Parse(p.ErrorRedirectURL(req, e))
	if err != nil {
		t.Fatalf("error redirect does not parse: %v", err)
	}
	want, _ := url.Parse(req.RedirectURI)
	if to.Scheme != want.Scheme || to.Host != want.Host || to.Path != want.Path || to.Opaque != want.Opaque || to.User != nil || to.Fragment != "" {
		t.Fatalf("error redirect %q leaves %q", to, req.RedirectURI)
	}
	q := to.Query()
	if q.Get("error") != e.Code || q.Get("iss") != fuzzIssuer || q.Get("state") != req.State {
		t.Fatalf("error redirect %q: error %q iss %q state %q", to, q.Get("error"), q.Get("iss"), q.Get("state"))
	}
	for k, vs := range want.Query() {
		if k != "error" && k != "error_description" && k != "state" && k != "iss" && !slices.Equal(q[k], vs) {
			t.Fatalf("error redirect %q lost the registered parameter %q", to, k)
		}
	}
}
