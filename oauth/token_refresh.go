package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// refresh is the refresh_token grant (OAuth 2.1 §4.3). Every use rotates the
// token (AS-17); a second use of a rotated token revokes the whole family
// (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2). There is no reuse window: two
// concurrent uses of one token give one success and a revoked family.
func (p *Provider) refresh(ctx context.Context, client *Client, form url.Values) (*TokenResponse, error) {
	raw := form.Get("refresh_token")
	if raw == "" {
		return nil, InvalidRequest("The request has no refresh_token.")
	}
	if !canRefresh(client) {
		return nil, UnauthorizedClient("This client did not register the refresh_token grant.")
	}
	now := p.now()
	var (
		resp    *TokenResponse
		reused  *RefreshToken
		errOnce error
	)
	err := p.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		rt, err := tx.UseRefreshToken(ctx, HashSecret(raw), now)
		switch {
		case errors.Is(err, ErrAlreadyUsed):
			reused = rt
			return nil
		case errors.Is(err, ErrNotFound):
			errOnce = InvalidGrant("The refresh token is invalid.")
			return nil
		case err != nil:
			return err
		}
		g, err := tx.GetGrant(ctx, rt.GrantID)
		if err != nil {
			return err
		}
		if g.ClientID != client.ID {
			// Roll back: another client's mistake must not spend the token.
			return InvalidGrant("The refresh token was issued to another client.")
		}
		// Request-shape errors roll back: a wrong resource leaves the token usable.
		if e := p.checkTokenResource(form, g.Route); e != nil {
			return e
		}
		if e := p.checkRefresh(ctx, tx, rt, g); e != nil {
			errOnce = e
			return nil
		}
		scopes, e := narrowScopes(form.Get("scope"), g.Scopes)
		if e != nil {
			return e // roll back: a bad scope request leaves the token usable
		}
		issue := &grantIssue{grant: g, scopes: scopes}
		if issue.refresh, err = p.newRefreshToken(ctx, tx, g, now); err != nil {
			return err
		}
		if err := tx.TouchGrant(ctx, g.ID, now); err != nil {
			return err
		}
		resp, err = p.mintAccess(issue, now)
		return err
	})
	if err != nil {
		return nil, AsError(err)
	}
	if reused != nil {
		if err := p.store.RevokeGrant(ctx, reused.GrantID, now); err != nil {
			return nil, ServerError(err)
		}
		p.log.LogAttrs(ctx, slog.LevelWarn, "refresh token reused; grant revoked",
			slog.String("client_id", client.ID), slog.String("grant_id", reused.GrantID))
		return nil, InvalidGrant("The refresh token was already used; the grant has been revoked.")
	}
	return resp, errOnce
}

// checkRefresh applies the family's state and expiry and the user's status.
func (p *Provider) checkRefresh(ctx context.Context, tx Store, rt *RefreshToken, g *Grant) error {
	now := p.now()
	switch {
	case g.RevokedAt != nil:
		return InvalidGrant("The grant has been revoked.")
	case !now.Before(rt.ExpiresAt), !now.Before(g.ExpiresAt):
		return InvalidGrant("The refresh token has expired.")
	}
	u, err := tx.GetUser(ctx, g.UserID)
	if err != nil || u.Disabled {
		return InvalidGrant("The user of this grant can no longer sign in.")
	}
	return nil
}

// narrowScopes returns the requested scopes, which must be a subset of the
// grant's (RFC 6749 §6); none requested means all of them.
func narrowScopes(raw string, granted []string) ([]string, error) {
	req := strings.Fields(raw)
	if len(req) == 0 {
		return granted, nil
	}
	out := make([]string, 0, len(req))
	for _, s := range req {
		if s == ScopeOfflineAccess {
			continue
		}
		if !slices.Contains(granted, s) {
			return nil, InvalidScope(fmt.Sprintf("The scope %q was not granted.", s))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
