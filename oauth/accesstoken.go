package oauth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AccessTokenType is the JWT "typ" of RFC 9068 access tokens.
const AccessTokenType = "at+jwt"

// AccessClaims are the claims of a Latchkey access token (RFC 9068 §2.2).
type AccessClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Audience string           `json:"aud"`
	ClientID string           `json:"client_id"`
	Scope    string           `json:"scope,omitempty"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Expiry   *jwt.NumericDate `json:"exp"`
	ID       string           `json:"jti"`
	// GrantID ("sid") names the grant that issued the token, so revoking the
	// grant can revoke its access tokens too.
	GrantID  string           `json:"sid,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// Scopes splits the scope claim.
func (c *AccessClaims) Scopes() []string { return strings.Fields(c.Scope) }

// Sign signs claims with the active key as an at+jwt.
func (ks *KeySet) Sign(c *AccessClaims) (string, error) {
	signer, _ := ks.signerAndKey("")
	if signer == nil {
		return "", errors.New("oauth: no active signing key")
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("oauth: sign access token: %w", err)
	}
	return tok, nil
}

// ErrInvalidToken is returned by VerifyAccessToken for any token that must be refused.
var ErrInvalidToken = errors.New("invalid access token")

// VerifyAccessToken checks signature, typ, iss, aud and exp (RFC 9068 §4,
// OAuth 2.1 §5.2). audience must equal the aud claim byte for byte.
func (ks *KeySet) VerifyAccessToken(raw, issuer, audience string, now time.Time) (*AccessClaims, error) {
	c, err := ks.ParseAccessToken(raw, issuer, now)
	if err != nil {
		return nil, err
	}
	if c.Audience != audience {
		return nil, fmt.Errorf("%w: audience", ErrInvalidToken)
	}
	return c, nil
}

// ParseAccessToken checks everything VerifyAccessToken does except the
// audience, for introspection and revocation, which serve every route.
// A kid this replica does not know yet triggers one reload (rate-limited),
// so a rotation made elsewhere is picked up at once.
func (ks *KeySet) ParseAccessToken(raw, issuer string, now time.Time) (*AccessClaims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrInvalidToken)
	}
	h := tok.Headers[0]
	// RFC 9068 §4: resource servers MUST check typ is at+jwt.
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, AccessTokenType) && !strings.EqualFold(typ, "application/"+AccessTokenType) {
		return nil, fmt.Errorf("%w: typ %q", ErrInvalidToken, typ)
	}
	_, key := ks.signerAndKey(h.KeyID)
	if key == nil && ks.reloadForUnknownKid() {
		_, key = ks.signerAndKey(h.KeyID)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: unknown kid", ErrInvalidToken)
	}
	var c AccessClaims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	switch {
	case c.Issuer != issuer:
		return nil, fmt.Errorf("%w: issuer", ErrInvalidToken)
	case c.Expiry == nil || !now.Before(c.Expiry.Time()):
		return nil, fmt.Errorf("%w: expired", ErrInvalidToken)
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(time.Minute)):
		return nil, fmt.Errorf("%w: issued in the future", ErrInvalidToken)
	}
	return &c, nil
}
