package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Introspection is the RFC 7662 §2.2 response. Anything but an active
// token is exactly {"active": false}: never a hint why.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
}

// Token type names in introspection responses.
const (
	TokenTypeAccess  = "Bearer"
	TokenTypeRefresh = "refresh_token"
)

// inactive is the one answer for every token that is not active; a new
// value each time, so no caller can alter another's.
func inactive() *Introspection { return &Introspection{Active: false} }

// ServeIntrospect handles POST /introspect (RFC 7662): the caller
// authenticates as a confidential client; a resource-server client may
// introspect any token, other clients only their own.
func (p *Provider) ServeIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form, caller, ok := p.authenticatedForm(w, r)
	if !ok {
		return
	}
	if caller.Public() {
		p.writeError(ctx, w, InvalidClient("Introspection needs an authenticated (confidential) client."))
		return
	}
	tok := form.Get("token")
	if tok == "" {
		p.writeError(ctx, w, InvalidRequest("The request has no token."))
		return
	}
	res, err := p.Introspect(ctx, tok)
	if err != nil {
		p.writeError(ctx, w, ServerError(err))
		return
	}
	if res.Active && !caller.ResourceServer && res.ClientID != caller.ID {
		res = inactive() // another client's token: indistinguishable from an invalid one
	}
	writeJSON(w, http.StatusOK, res)
}

// Introspect reports on any Latchkey token; the CLI uses it directly.
func (p *Provider) Introspect(ctx context.Context, tok string) (*Introspection, error) {
	tok = strings.TrimSpace(tok)
	if strings.HasPrefix(tok, PrefixRefreshToken) {
		return p.introspectRefresh(ctx, tok)
	}
	return p.introspectAccess(ctx, tok)
}

func (p *Provider) introspectAccess(ctx context.Context, tok string) (*Introspection, error) {
	now := p.now()
	c, err := p.keys.ParseAccessToken(tok, p.cfg.Issuer, now)
	if err != nil {
		return inactive(), nil
	}
	revoked, err := p.store.IsRevoked(ctx, RevokedToken, c.ID, now)
	if err != nil || revoked {
		return inactive(), err
	}
	g, u, err := p.liveGrant(ctx, c.GrantID)
	if g == nil {
		return inactive(), err
	}
	res := &Introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, Username: u.Username, TokenType: TokenTypeAccess,
		Sub: c.Subject, Aud: c.Audience, Iss: c.Issuer, Jti: c.ID}
	if c.Expiry != nil {
		res.Exp = c.Expiry.Time().Unix()
	}
	if c.IssuedAt != nil {
		res.Iat = c.IssuedAt.Time().Unix()
	}
	return res, nil
}

func (p *Provider) introspectRefresh(ctx context.Context, tok string) (*Introspection, error) {
	rt, err := p.store.GetRefreshToken(ctx, HashSecret(tok))
	if errors.Is(err, ErrNotFound) {
		return inactive(), nil
	}
	if err != nil {
		return inactive(), err
	}
	if rt.UsedAt != nil || !p.now().Before(rt.ExpiresAt) {
		return inactive(), nil
	}
	g, u, err := p.liveGrant(ctx, rt.GrantID)
	if g == nil {
		return inactive(), err
	}
	return &Introspection{Active: true, Scope: strings.Join(g.Scopes, " "), ClientID: g.ClientID, Username: u.Username,
		TokenType: TokenTypeRefresh, Exp: rt.ExpiresAt.Unix(), Iat: rt.CreatedAt.Unix(), Sub: g.UserID, Aud: g.Resource,
		Iss: p.cfg.Issuer}, nil
}

// liveGrant returns a grant that is not revoked or expired, with its
// enabled user and enabled client; nil (and no error) otherwise.
func (p *Provider) liveGrant(ctx context.Context, id string) (*Grant, *User, error) {
	if id == "" {
		return nil, nil, nil
	}
	g, err := p.store.GetGrant(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if g.Status(p.now()) != GrantActive {
		return nil, nil, nil
	}
	u, err := p.store.GetUser(ctx, g.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := p.store.GetClient(ctx, g.ClientID)
	if errors.Is(err, ErrNotFound) || (err == nil && c.Disabled) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}
