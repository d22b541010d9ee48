package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
)

// LoadAuthRequest returns a pending authorization request that has not expired.
func (p *Provider) LoadAuthRequest(ctx context.Context, id string) (*AuthRequest, error) {
	req, err := p.store.GetAuthRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, noRedirect(InvalidRequest("This sign-in request is unknown or was already completed. Start again from your application."))
	}
	if err != nil {
		return nil, noRedirect(ServerError(err))
	}
	if !p.now().Before(req.ExpiresAt) {
		return nil, noRedirect(InvalidRequest("This sign-in request has expired. Start again from your application."))
	}
	return req, nil
}

// ConsentCovers reports whether a remembered consent already grants every
// requested scope, so the consent page can be skipped.
func (p *Provider) ConsentCovers(ctx context.Context, req *AuthRequest, userID string) (bool, []string, error) {
	c, err := p.store.GetConsent(ctx, userID, req.ClientID, req.Route)
	if errors.Is(err, ErrNotFound) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	for _, s := range req.Scopes {
		if !slices.Contains(c.Scopes, s) {
			return false, c.Scopes, nil
		}
	}
	return true, c.Scopes, nil
}

// Approve completes the request for userID: it remembers the consent,
// consumes the request and issues a code. It returns the redirect URL with
// code, state and iss (OAuth 2.1 §4.1.2, RFC 9207 §2).
func (p *Provider) Approve(ctx context.Context, req *AuthRequest, userID string) (string, error) {
	now := p.now()
	code := NewSecret(PrefixCode)
	err := p.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		// Single use: a second approval of the same request finds nothing.
		if err := tx.DeleteAuthRequest(ctx, req.ID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return noRedirect(InvalidRequest("This sign-in request was already completed."))
			}
			return err
		}
		prev, err := tx.GetConsent(ctx, userID, req.ClientID, req.Route)
		scopes := slices.Clone(req.Scopes)
		created := now
		if err == nil {
			created = prev.CreatedAt
			for _, s := range prev.Scopes {
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		slices.Sort(scopes)
		if err := tx.SaveConsent(ctx, &Consent{UserID: userID, ClientID: req.ClientID, Route: req.Route, Scopes: scopes, CreatedAt: created, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateCode(ctx, &Code{
			Hash: HashSecret(code), GrantID: RandomString(16), ClientID: req.ClientID, UserID: userID,
			RedirectURI: req.RedirectURI, Route: req.Route, Resource: req.Resource, Scopes: req.Scopes,
			CodeChallenge: req.CodeChallenge, CreatedAt: now, ExpiresAt: now.Add(p.cfg.CodeTTL),
		})
	})
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return "", oe
		}
		return "", noRedirect(ServerError(err))
	}
	return redirectWith(req.RedirectURI, url.Values{"code": {code}, "state": {req.State}, "iss": {p.cfg.Issuer}}), nil
}

// Deny consumes the request and returns the access_denied redirect.
func (p *Provider) Deny(ctx context.Context, req *AuthRequest) (string, error) {
	if err := p.store.DeleteAuthRequest(ctx, req.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return "", noRedirect(ServerError(err))
	}
	return p.ErrorRedirectURL(req, AccessDenied("The user denied the request.")), nil
}

// GetClient exposes client lookup to the pages.
func (p *Provider) GetClient(ctx context.Context, id string) (*Client, error) {
	return p.client(ctx, id)
}
