package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// exchangeCode is the authorization_code grant (OAuth 2.1 §4.1.3). The code
// is redeemed atomically inside the transaction that creates the grant, so
// two concurrent redemptions give exactly one token (LX-12) and a replay can
// always find, and revoke, what the first redemption issued.
func (p *Provider) exchangeCode(ctx context.Context, client *Client, form url.Values) (*TokenResponse, error) {
	raw := form.Get("code")
	if raw == "" {
		return nil, InvalidRequest("The request has no code.")
	}
	now := p.now()
	var (
		resp     *TokenResponse
		rejected error
		replayed *Code
	)
	err := p.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		code, err := tx.RedeemCode(ctx, HashSecret(raw), now)
		switch {
		case errors.Is(err, ErrAlreadyUsed):
			replayed = code
			return nil
		case errors.Is(err, ErrNotFound):
			rejected = InvalidGrant("The authorization code is invalid.")
			return nil
		case err != nil:
			return err
		}
		// The code is spent from here on, whatever the checks say: commit.
		if rejected = p.checkCode(ctx, tx, client, code, form, now); rejected != nil {
			return nil
		}
		g := &Grant{
			ID: code.GrantID, ClientID: client.ID, UserID: code.UserID, Route: code.Route,
			Resource: code.Resource, Scopes: code.Scopes, CreatedAt: now, LastUsedAt: now,
			ExpiresAt: now.Add(p.cfg.GrantTTL),
		}
		if err := tx.CreateGrant(ctx, g); err != nil {
			return err
		}
		issue := &grantIssue{grant: g, scopes: code.Scopes}
		if canRefresh(client) {
			if issue.refresh, err = p.newRefreshToken(ctx, tx, g, now); err != nil {
				return err
			}
		}
		resp, err = p.mintAccess(issue, now)
		return err
	})
	if err != nil {
		return nil, ServerError(err)
	}
	if replayed != nil {
		// OAuth 2.1 §4.1.3, RFC 9700 §4.14: a reused code revokes what it issued.
		if err := p.store.RevokeGrant(ctx, replayed.GrantID, now); err != nil {
			return nil, ServerError(err)
		}
		p.log.LogAttrs(ctx, slog.LevelWarn, "authorization code replayed; grant revoked",
			slog.String("client_id", client.ID), slog.String("grant_id", replayed.GrantID))
		return nil, InvalidGrant("The authorization code was already used.")
	}
	if rejected != nil {
		return nil, rejected
	}
	return resp, nil
}

// checkCode applies every binding of the code to the token request.
func (p *Provider) checkCode(ctx context.Context, tx Store, client *Client, code *Code, form url.Values, now time.Time) error {
	if !now.Before(code.ExpiresAt) {
		return InvalidGrant("The authorization code has expired.")
	}
	// OAuth 2.1 §4.1.3: the code was issued to this client.
	if code.ClientID != client.ID {
		return InvalidGrant("The authorization code was issued to another client.")
	}
	// OAuth 2.1 §4.1.3: redirect_uri, when sent, is identical to the authorization request's.
	if ru := form.Get("redirect_uri"); ru != "" && ru != code.RedirectURI {
		return InvalidGrant("redirect_uri does not match the authorization request.")
	} else if ru == "" && !(len(client.RedirectURIs) == 1 && client.RedirectURIs[0] == code.RedirectURI) {
		return InvalidRequest("redirect_uri is required.")
	}
	// RFC 7636 §4.6 / OAuth 2.1 §4.1.3: the verifier must match the challenge.
	verifier := form.Get("code_verifier")
	if verifier == "" {
		return InvalidRequest("code_verifier is required (PKCE).")
	}
	if !verifyPKCE(code.CodeChallenge, verifier) {
		return InvalidGrant("The code_verifier does not match the code_challenge.")
	}
	if err := p.checkTokenResource(form, code.Route); err != nil {
		return err
	}
	u, err := tx.GetUser(ctx, code.UserID)
	if err != nil || u.Disabled {
		return InvalidGrant("The user who approved this request can no longer sign in.")
	}
	return nil
}

func numericDate(t time.Time) *jwt.NumericDate { return jwt.NewNumericDate(t) }
