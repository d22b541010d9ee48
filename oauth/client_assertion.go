package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionTypeJWTBearer is RFC 7523 §2.2's client_assertion_type.
const AssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

const (
	maxAssertionLen      = 8 << 10
	maxAssertionLifetime = 10 * time.Minute // exp further away is refused
	assertionSkew        = time.Minute
	assertionJTIMargin   = 10 * time.Minute
	// jwksMaxTTL caps how long a client's fetched keys are trusted.
	jwksMaxTTL   = time.Hour
	jwksMaxBytes = 64 << 10
)

// assertionAlgs are the signature algorithms accepted for client assertions.
func assertionAlgs() []string {
	return []string{string(jose.ES256), string(jose.ES384), string(jose.RS256), string(jose.PS256), string(jose.EdDSA)}
}

func assertionAlgorithms() []jose.SignatureAlgorithm {
	var out []jose.SignatureAlgorithm
	for _, a := range assertionAlgs() {
		out = append(out, jose.SignatureAlgorithm(a))
	}
	return out
}

// authenticateAssertion checks a private_key_jwt client assertion (RFC
// 7523 §3, LX-5): signed by one of the client's keys, iss = sub = the
// client, aud naming the token endpoint or the issuer, a near exp, and a jti
// never used before. formID is the body's client_id ("" if absent).
func (p *Provider) authenticateAssertion(ctx context.Context, assertion, formID string) (*Client, error) {
	fail := func() error { return InvalidClient("Client authentication failed.") }
	if len(assertion) > maxAssertionLen {
		return nil, fail()
	}
	tok, err := jwt.ParseSigned(assertion, assertionAlgorithms())
	if err != nil {
		return nil, InvalidClient("The client assertion is not a signed JWT with a supported algorithm.")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return nil, fail()
	}
	id := unverified.Issuer
	if formID != "" && formID != id {
		return nil, InvalidRequest("client_id in the body does not match the client assertion's issuer.")
	}
	c, err := p.client(ctx, id)
	if err != nil {
		var de *ClientDocumentError
		if errors.As(err, &de) {
			return nil, InvalidClient(de.Error())
		}
		if errors.Is(err, ErrNotFound) {
			return nil, fail()
		}
		return nil, ServerError(err)
	}
	if c.Disabled || c.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
		return nil, fail()
	}
	keys, err := p.clientKeys(ctx, c)
	if err != nil {
		p.log.WarnContext(ctx, "client keys unavailable", "client_id", c.ID, "error", err)
		return nil, InvalidClient("The client's keys could not be loaded.")
	}
	var claims jwt.Claims
	verified := verifyWith(tok, keys, &claims)
	// A key the cached set lacks may be new: refetch a jwks_uri once (at
	// most every 30 s per client) before refusing.
	if !verified && c.JWKSURI != "" && p.jwks.forgetOlderThan(c.JWKSURI, 30*time.Second, p.now()) {
		if keys, err = p.clientKeys(ctx, c); err == nil {
			verified = verifyWith(tok, keys, &claims)
		}
	}
	if !verified {
		return nil, fail()
	}
	now := p.now()
	aud := []string{p.cfg.Issuer + "/token", p.cfg.Issuer, p.cfg.Issuer + "/"}
	switch {
	case claims.Issuer != c.ID || claims.Subject != c.ID:
		return nil, InvalidClient("The client assertion's iss and sub must both be the client_id.")
	case !slices.ContainsFunc(aud, claims.Audience.Contains):
		return nil, InvalidClient("The client assertion's aud must be this server's token endpoint.")
	case claims.Expiry == nil || !now.Before(claims.Expiry.Time().Add(assertionSkew)):
		return nil, InvalidClient("The client assertion has expired.")
	case claims.Expiry.Time().After(now.Add(maxAssertionLifetime)):
		return nil, InvalidClient("The client assertion's exp is too far in the future.")
	case claims.NotBefore != nil && now.Add(assertionSkew).Before(claims.NotBefore.Time()):
		return nil, InvalidClient("The client assertion is not valid yet.")
	case claims.ID == "" || len(claims.ID) > 256:
		return nil, InvalidClient("The client assertion needs a jti.")
	}
	// The jti is kept well past the acceptance window (exp + skew), so a
	// replica whose clock is behind cannot accept a replay after clean-up.
	if err := p.store.UseAssertion(ctx, c.ID, claims.ID, claims.Expiry.Time().Add(assertionSkew+assertionJTIMargin)); err != nil {
		if errors.Is(err, ErrAlreadyUsed) {
			return nil, InvalidClient("The client assertion was used before.")
		}
		return nil, ServerError(err)
	}
	return c, nil
}

// verifyWith checks the assertion's signature against the matching keys.
func verifyWith(tok *jwt.JSONWebToken, keys []jose.JSONWebKey, claims *jwt.Claims) bool {
	for _, k := range keys {
		if kid := tok.Headers[0].KeyID; kid != "" && k.KeyID != "" && kid != k.KeyID {
			continue
		}
		if tok.Claims(k.Key, claims) == nil {
			return true
		}
	}
	return false
}

// clientKeys returns a private_key_jwt client's verification keys: inline,
// or from its jwks_uri through the SSRF-safe client, cached.
func (p *Provider) clientKeys(ctx context.Context, c *Client) ([]jose.JSONWebKey, error) {
	if c.JWKS != "" {
		return parseClientKeys([]byte(c.JWKS))
	}
	if c.JWKSURI == "" {
		return nil, errors.New("no jwks or jwks_uri")
	}
	e := p.jwks.get(ctx, c.JWKSURI, p.now, func(ctx context.Context) *cimdEntry {
		now := p.now()
		res, err := p.fetcher.Get(ctx, c.JWKSURI, "application/json", jwksMaxBytes)
		if err != nil {
			return &cimdEntry{err: err, expires: now.Add(cimdFailTTL)}
		}
		keys, err := parseClientKeys(res.Body)
		if err != nil {
			return &cimdEntry{err: err, expires: now.Add(cimdFailTTL)}
		}
		return &cimdEntry{keys: keys, expires: now.Add(min(cacheTTL(res.Header, now), jwksMaxTTL))}
	})
	return e.keys, e.err
}

// hasAssertion reports whether the form carries a client assertion.
func hasAssertion(form url.Values) bool {
	return form.Get("client_assertion") != "" || form.Get("client_assertion_type") != ""
}
