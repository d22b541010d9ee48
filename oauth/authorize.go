package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

const maxStateLen = 2048

// AuthorizeResult is a validated authorization request with what it names.
type AuthorizeResult struct {
	Request *AuthRequest
	Client  *Client
	Route   *Route
	// IgnoredScopes were asked for but are offered neither by the route nor
	// by Latchkey; they were dropped from the grant (RFC 6749 §3.3).
	IgnoredScopes []string
}

// ParseAuthorize validates an authorization request (OAuth 2.1 §4.1.1) from a
// GET query or POST form. Errors found before the client and redirect URI are
// known to be good have NoRedirect set (OAuth 2.1 §4.1.2.1): the caller shows
// a page. Later errors come back with the result's Client and a request
// carrying RedirectURI and State, so the caller can redirect with them.
func (p *Provider) ParseAuthorize(ctx context.Context, params url.Values) (*AuthorizeResult, error) {
	// RFC 6749 §3.1: request parameters MUST NOT be included more than once.
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(params[k]) > 1 {
			return nil, noRedirect(InvalidRequest(fmt.Sprintf("The %s parameter appears more than once.", k)))
		}
	}
	clientID := params.Get("client_id")
	if clientID == "" {
		return nil, noRedirect(InvalidRequest("The request has no client_id."))
	}
	client, err := p.client(ctx, clientID)
	var de *ClientDocumentError
	if errors.As(err, &de) {
		return nil, noRedirect(InvalidRequest(de.Error()))
	}
	if errors.Is(err, ErrNotFound) {
		return nil, noRedirect(InvalidRequest("The application (client_id) is not registered with this server."))
	}
	if err != nil {
		return nil, noRedirect(ServerError(err))
	}
	if client.Disabled {
		return nil, noRedirect(InvalidRequest("The application has been disabled by an administrator."))
	}
	redirectURI := params.Get("redirect_uri")
	if redirectURI == "" {
		// OAuth 2.1 §2.3.2: optional only when exactly one URI is registered.
		if len(client.RedirectURIs) != 1 {
			return nil, noRedirect(InvalidRequest("The request has no redirect_uri."))
		}
		redirectURI = client.RedirectURIs[0]
	}
	// AS-21, LX-3: exact match, loopback ports excepted; never redirect on failure.
	if !MatchRedirectURI(client.RedirectURIs, redirectURI) {
		return nil, noRedirect(InvalidRequest("The redirect_uri is not registered for this application."))
	}
	req := &AuthRequest{
		ID: RandomString(24), ClientID: client.ID, RedirectURI: redirectURI,
		State: params.Get("state"), Prompt: params.Get("prompt"),
		CreatedAt: p.now(), ExpiresAt: p.now().Add(p.cfg.AuthRequestTTL),
	}
	res := &AuthorizeResult{Request: req, Client: client}
	if err := p.checkAuthorizeParams(ctx, params, res); err != nil {
		return res, err
	}
	if err := p.store.CreateAuthRequest(ctx, req); err != nil {
		return res, ServerError(err)
	}
	if err := p.noteIgnoredScopes(ctx, client, res.IgnoredScopes); err != nil {
		return res, ServerError(err)
	}
	return res, nil
}

// MaxIgnoredScopes bounds how many dropped scopes a client row remembers
// (an anonymous authorization request can name any scope-token).
const MaxIgnoredScopes = 16

// noteIgnoredScopes adds scopes the client asked for that nothing offers to
// its row, for the console; it writes only when something new appears.
func (p *Provider) noteIgnoredScopes(ctx context.Context, c *Client, ignored []string) error {
	merged := slices.Clone(c.IgnoredScopes)
	for _, s := range ignored {
		if len(merged) < MaxIgnoredScopes && len(s) <= 128 && !slices.Contains(merged, s) {
			merged = append(merged, s)
		}
	}
	if len(merged) == len(c.IgnoredScopes) {
		return nil
	}
	c.IgnoredScopes = merged
	return p.store.SetClientIgnoredScopes(ctx, c.ID, merged)
}

// checkAuthorizeParams validates everything after the redirect URI; its
// errors are redirected to the client.
func (p *Provider) checkAuthorizeParams(ctx context.Context, params url.Values, res *AuthorizeResult) error {
	req, client := res.Request, res.Client
	for k, vs := range params {
		if len(vs) > 1 && k != "resource" {
			return InvalidRequest(fmt.Sprintf("The %s parameter appears more than once.", k))
		}
	}
	if len(req.State) > maxStateLen {
		req.State = ""
		return InvalidRequest("The state parameter is too long.")
	}
	// RFC 6749 Appendix A.5: state = 1*VSCHAR (%x20-7E).
	for i := 0; i < len(req.State); i++ {
		if c := req.State[i]; c < 0x20 || c > 0x7e {
			req.State = ""
			return InvalidRequest("The state parameter contains characters it may not have.")
		}
	}
	// Parameters that would change what the request means are refused, not
	// ignored: a client relying on them must learn they had no effect.
	switch {
	case params.Has("request"):
		return RequestNotSupported("Request objects (the request parameter) are not supported; send the parameters directly.")
	case params.Has("request_uri"):
		return RequestURINotSupported("request_uri (pushed or referenced request objects) is not supported.")
	}
	if rm := params.Get("response_mode"); rm != "" && rm != "query" {
		return InvalidRequest("response_mode must be query, the only response mode this server offers.")
	}
	if rt := params.Get("response_type"); rt != "code" {
		if rt == "" {
			return InvalidRequest("The request has no response_type; use code.")
		}
		return UnsupportedResponseType("Only response_type=code is supported.")
	}
	if !slices.Contains(client.GrantTypes, GrantAuthorizationCode) {
		return UnauthorizedClient("This application may not use the authorization code grant.")
	}
	// LX-1, OAuth 2.1 §4.1.1, RFC 9700 §2.1.1: PKCE with S256 is required.
	challenge, method := params.Get("code_challenge"), params.Get("code_challenge_method")
	switch {
	case challenge == "":
		return InvalidRequest("code_challenge is required (PKCE with S256).")
	case method != PKCEMethodS256:
		return InvalidRequest("code_challenge_method must be S256.")
	case !validS256Challenge(challenge):
		return InvalidRequest("code_challenge is not a valid S256 challenge.")
	}
	req.CodeChallenge = challenge
	switch req.Prompt {
	case "", "none", "login", "consent":
	default:
		return InvalidRequest("prompt must be none, login or consent.")
	}
	route, err := p.resolveResource(ctx, params["resource"])
	if err != nil {
		return err
	}
	res.Route = route
	req.Route, req.Resource = route.Name, ResourceURL(p.cfg.Issuer, route.Name)
	scopes, ignored, err := grantScopes(params.Get("scope"), route)
	if err != nil {
		return err
	}
	req.Scopes, res.IgnoredScopes = scopes, ignored
	return nil
}

// resolveResource maps the resource parameter to a route (RFC 8707 §2, LX-2).
func (p *Provider) resolveResource(ctx context.Context, resources []string) (*Route, error) {
	if len(resources) > 1 {
		return nil, InvalidTarget("Request one resource at a time; a token is bound to one MCP server.")
	}
	if len(resources) == 0 || resources[0] == "" {
		// Some clients omit it; only an unambiguous single route is assumed.
		routes, err := p.store.ListRoutes(ctx)
		if err != nil {
			return nil, ServerError(err)
		}
		if len(routes) == 1 {
			return routes[0], nil
		}
		return nil, InvalidTarget("The resource parameter is required: name the MCP server URL this token is for.")
	}
	name, ok := RouteForResource(p.cfg.Issuer, resources[0])
	if !ok {
		return nil, InvalidTarget("The resource is not an MCP server published by this server.")
	}
	route, err := p.store.GetRoute(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, InvalidTarget("The resource is not an MCP server published by this server.")
	}
	if err != nil {
		return nil, ServerError(err)
	}
	return route, nil
}

// isServerScope reports the scopes Latchkey itself serves on every route,
// beside the route's own: offline_access (refresh tokens are issued
// regardless, LX-6). The OpenID scopes join it once Latchkey issues ID
// tokens; until then openid, profile and email are dropped like any scope
// nothing offers.
func isServerScope(s string) bool { return s == ScopeOfflineAccess }

// maxScopeParam bounds the scope parameter; clients that send the whole
// scopes_supported of a large deployment stay far below it.
const maxScopeParam = 4096

// grantScopes decides what an authorization request gets (RFC 6749 §3.3:
// the server may grant less than asked). Granted = requested ∩ (the
// route's scopes ∪ the server scopes), in the order asked; scopes nothing
// offers are dropped and returned as ignored, not refused. Nothing of the
// route's asked for (no scope, or only foreign ones) means the route's
// base scopes, those its 401 challenge names, plus any server scope asked
// for. Only a scope that is not a valid scope-token is invalid_scope.
func grantScopes(raw string, route *Route) (granted, ignored []string, err error) {
	requested, err := parseScope(raw)
	if err != nil {
		return nil, nil, err
	}
	var routeScopes, server []string
	for _, s := range requested {
		switch {
		case slices.Contains(route.Scopes, s):
			routeScopes = append(routeScopes, s)
		case isServerScope(s):
			server = append(server, s)
		default:
			ignored = append(ignored, s)
		}
	}
	if len(routeScopes) == 0 {
		routeScopes = route.BaseScopes()
	}
	return append(routeScopes, server...), ignored, nil
}

// parseScope splits a scope parameter into distinct scope-tokens. RFC 6749
// §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR
// (%x21 / %x23-5B / %x5D-7E). Repeated spaces are forgiven; any other
// character (a tab, a quote, a backslash, non-ASCII) is invalid_scope.
func parseScope(raw string) ([]string, error) {
	if len(raw) > maxScopeParam {
		return nil, InvalidScope("The scope parameter is too long.")
	}
	var out []string
	for _, s := range strings.Split(raw, " ") {
		if s == "" {
			continue
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
				return nil, InvalidScope("The scope parameter contains a character scopes may not have.")
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func noRedirect(e *Error) *Error { e.NoRedirect = true; return e }

// ErrorRedirectURL is where an authorization error goes: the redirect URI
// with error, error_description, state and iss (OAuth 2.1 §4.1.2.1, RFC 9207).
func (p *Provider) ErrorRedirectURL(req *AuthRequest, e *Error) string {
	return redirectWith(req.RedirectURI, url.Values{
		"error": {e.Code}, "error_description": {wireDescription(e.Description)}, "state": {req.State}, "iss": {p.cfg.Issuer},
	})
}
