package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// authenticatedForm reads a token-endpoint-style form (token, introspect,
// revoke) and authenticates its client; on failure it has written the
// OAuth error and ok is false.
func (p *Provider) authenticatedForm(w http.ResponseWriter, r *http.Request) (url.Values, *Client, bool) {
	form, err := parseTokenForm(w, r)
	if err == nil {
		var c *Client
		if c, err = p.authenticateClient(r.Context(), r, form); err == nil {
			return form, c, true
		}
	}
	p.writeError(r.Context(), w, err)
	return nil, nil, false
}

// authenticateClient identifies the client at the token endpoint (OAuth 2.1
// §2.4, LX-5): HTTP Basic, client_secret in the body, or a public client's
// bare client_id. Secrets are compared as hashes in constant time.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (*Client, error) {
	ctx = WithRequestIP(ctx, ClientIP(r))
	basicID, basicSecret, hasBasic := r.BasicAuth()
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	if hasAssertion(form) {
		if hasBasic || postSecret != "" {
			return nil, InvalidRequest("Use one client authentication method, not several.")
		}
		if form.Get("client_assertion_type") != AssertionTypeJWTBearer || form.Get("client_assertion") == "" {
			return nil, InvalidClient("client_assertion_type must be " + AssertionTypeJWTBearer + " with a client_assertion.")
		}
		return p.authenticateAssertion(ctx, form.Get("client_assertion"), postID)
	}
	var id, secret string
	switch {
	case hasBasic && postSecret != "":
		// OAuth 2.1 §2.4: a client MUST NOT use more than one method per request.
		return nil, InvalidRequest("Use one client authentication method, not several.")
	case hasBasic:
		// RFC 6749 §2.3.1: the Basic credentials are form-urlencoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			e := InvalidClient("The Basic credentials are not correctly encoded.")
			e.BasicChallenge = true
			return nil, e
		}
		if postID != "" && postID != id {
			return nil, InvalidRequest("client_id in the body does not match the authenticated client.")
		}
	default:
		id, secret = postID, postSecret
	}
	fail := func(desc string) error {
		e := InvalidClient(desc)
		e.BasicChallenge = hasBasic
		return e
	}
	if id == "" {
		return nil, fail("Client authentication failed: no client_id.")
	}
	c, err := p.client(ctx, id)
	var de *ClientDocumentError
	switch {
	case errors.As(err, &de):
		return nil, fail(de.Error())
	case errors.Is(err, ErrNotFound):
		return nil, fail("Client authentication failed.")
	case err != nil:
		return nil, ServerError(err)
	}
	if c.Disabled || c.TokenEndpointAuthMethod == AuthPrivateKeyJWT {
		// A key-holding client must prove it with an assertion.
		return nil, fail("Client authentication failed.")
	}
	if c.Public() {
		if secret != "" {
			return nil, fail("This client is public and must not send a client secret.")
		}
		return c, nil
	}
	if secret == "" || !SecretMatches(secret, c.SecretHash) {
		return nil, fail("Client authentication failed.")
	}
	return c, nil
}
