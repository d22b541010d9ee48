package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// ServeRevoke handles POST /revoke (RFC 7009). A refresh token revokes its
// whole grant (the family, and the access tokens it issued); an access
// token is recorded by jti until it expires. A client may revoke only its
// own tokens; anything else (unknown, expired, another client's) is
// answered 200 and changes nothing, so the endpoint is no token oracle.
func (p *Provider) ServeRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form, client, ok := p.authenticatedForm(w, r)
	if !ok {
		return
	}
	tok := strings.TrimSpace(form.Get("token"))
	if tok == "" {
		p.writeError(ctx, w, InvalidRequest("The request has no token."))
		return
	}
	what, err := p.RevokeToken(ctx, tok, client.ID)
	if err != nil {
		p.writeError(ctx, w, ServerError(err))
		return
	}
	if what != "" {
		p.audit(r, client.ID, "token.revoke", what, "via /revoke")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// RevokeToken revokes tok if it belongs to clientID ("" for any client:
// the admin CLI) and says what it revoked ("grant …" or "access token …"),
// "" when nothing.
func (p *Provider) RevokeToken(ctx context.Context, tok, clientID string) (string, error) {
	now := p.now()
	if strings.HasPrefix(tok, PrefixRefreshToken) {
		rt, err := p.store.GetRefreshToken(ctx, HashSecret(tok))
		if errors.Is(err, ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		g, err := p.store.GetGrant(ctx, rt.GrantID)
		if errors.Is(err, ErrNotFound) {
			return "", nil
		}
		if err != nil || (clientID != "" && g.ClientID != clientID) {
			return "", err
		}
		p.log.InfoContext(ctx, "refresh token revoked", "grant_id", g.ID, "client_id", g.ClientID)
		return "grant " + g.ID, p.store.RevokeGrant(ctx, g.ID, now)
	}
	c, err := p.keys.ParseAccessToken(tok, p.cfg.Issuer, now)
	if err != nil || (clientID != "" && c.ClientID != clientID) || c.ID == "" {
		return "", nil
	}
	p.log.InfoContext(ctx, "access token revoked", "jti", c.ID, "client_id", c.ClientID)
	return "access token " + c.ID, p.store.RecordRevocation(ctx, &Revocation{Kind: RevokedToken, Ref: c.ID, CreatedAt: now,
		ExpiresAt: c.Expiry.Time().Add(time.Minute)})
}

// RevokeGrantsOf revokes every live grant of a user or of a client (one of
// them non-empty): off-boarding. It returns how many it revoked.
func RevokeGrantsOf(ctx context.Context, s Store, userID, clientID string, now time.Time) (int, error) {
	if userID == "" && clientID == "" {
		return 0, errors.New("oauth: RevokeGrantsOf needs a user or a client")
	}
	n := 0
	err := s.InTx(ctx, func(ctx context.Context, tx Store) error {
		grants, err := tx.ListGrants(ctx, userID, clientID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if g.RevokedAt != nil {
				continue
			}
			if err := tx.RevokeGrant(ctx, g.ID, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// audit records an event of the authorization server in the audit log;
// failures are logged only.
func (p *Provider) audit(r *http.Request, actor, action, target, detail string) {
	e := &AuditEvent{At: p.now(), Actor: actor, Action: action, Target: target, Detail: detail, IP: ClientIP(r)}
	if err := p.store.RecordAudit(r.Context(), e); err != nil {
		p.log.ErrorContext(r.Context(), "audit: record event", "action", action, "error", err)
	}
}

// SetUserDisabled disables or enables a user; disabling also revokes every
// grant they hold, in the same transaction, so no replica keeps honouring
// them (off-boarding). It returns how many grants it revoked.
func SetUserDisabled(ctx context.Context, s Store, userID string, disabled bool, now time.Time) (int, error) {
	n := 0
	err := s.InTx(ctx, func(ctx context.Context, tx Store) error {
		if err := tx.SetUserFlags(ctx, userID, UserFlags{Disabled: &disabled}, now); err != nil {
			return err
		}
		var err error
		if disabled {
			n, err = RevokeGrantsOf(ctx, tx, userID, "", now)
		}
		return err
	})
	return n, err
}

// DeleteClient removes a client and revokes every grant it holds, in one
// transaction (off-boarding).
func DeleteClient(ctx context.Context, s Store, id string, now time.Time) error {
	return s.InTx(ctx, func(ctx context.Context, tx Store) error {
		if _, err := RevokeGrantsOf(ctx, tx, "", id, now); err != nil {
			return err
		}
		return tx.DeleteClient(ctx, id)
	})
}
