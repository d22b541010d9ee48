package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/oauth"
)

// errBadToken covers every reason a presented token is refused; the client
// only learns invalid_token (RS-8).
var errBadToken = errors.New("gateway: token refused")

// bearer extracts the token from the Authorization header only (RS-12: never
// the query string). ok is false when no Bearer credential was sent.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// verify validates a token for a route: signature, typ, iss, aud = this
// route, exp (RS-6, RS-7, RS-9), then that its grant is not revoked and its
// user still enabled. Verified tokens are cached by hash until exp.
func (g *Gateway) verify(ctx context.Context, raw, route string) (*oauth.AccessClaims, *oauth.User, error) {
	aud := g.resourceURL(route)
	now := g.clock()
	key := tokenKey(raw)
	if c, u := g.tokens.get(key, aud, now); c != nil {
		return c, u, nil
	}
	gen := g.tokens.generation()
	c, err := g.keys.VerifyAccessToken(raw, g.cfg.Issuer, aud, now)
	if err != nil {
		return nil, nil, errors.Join(errBadToken, err)
	}
	// A single access token revoked at /revoke (RFC 7009), by jti.
	if revoked, err := g.store.IsRevoked(ctx, oauth.RevokedToken, c.ID, now); err != nil {
		return nil, nil, err
	} else if revoked {
		return nil, nil, errors.Join(errBadToken, errors.New("token revoked"))
	}
	if c.GrantID != "" {
		gr, err := g.store.GetGrant(ctx, c.GrantID)
		if errors.Is(err, oauth.ErrNotFound) || (err == nil && gr.RevokedAt != nil) {
			return nil, nil, errors.Join(errBadToken, errors.New("grant revoked"))
		}
		if err != nil {
			return nil, nil, err
		}
	}
	u, err := g.store.GetUser(ctx, c.Subject)
	if errors.Is(err, oauth.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil, errors.Join(errBadToken, errors.New("user disabled or gone"))
	}
	if err != nil {
		return nil, nil, err
	}
	u.PasswordHash = "" // the cache keeps only what policy needs
	g.tokens.put(key, aud, c, u, now, gen)
	return c, u, nil
}

// CachedTokens is the size of the verified-token cache (for /metrics).
func (g *Gateway) CachedTokens() int { return g.tokens.size() }
