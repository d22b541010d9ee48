package db

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// DeleteExpired removes state no request can need any more, each kind with
// one conditional DELETE, so concurrent runs on several replicas only
// compete for the same rows and never fail each other.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (oauth.Purged, error) {
	var p oauth.Purged
	steps := []struct {
		n     *int
		model any
		where string
		arg   time.Time
	}{
		{&p.AuthRequests, (*authRequestRow)(nil), "expires_at <= ?", now},
		// Redeemed codes stay a while past expiry so a late replay still
		// revokes what the code issued.
		{&p.Codes, (*codeRow)(nil), "expires_at <= ?", now.Add(-oauth.CodeReplayWindow)},
		{&p.RefreshTokens, (*refreshTokenRow)(nil), "expires_at <= ?", now},
		{&p.Grants, (*grantRow)(nil), "expires_at <= ?", now},
		{&p.Grants, (*grantRow)(nil), "revoked_at <= ?", now.Add(-oauth.RevokedGrantRetention)},
		{&p.Revocations, (*revocationRow)(nil), "expires_at <= ?", now},
		{&p.Assertions, (*usedAssertionRow)(nil), "expires_at <= ?", now},
		{&p.Sessions, (*gatewaySessionRow)(nil), "created_at <= ?", now.Add(-oauth.GatewaySessionRetention)},
	}
	for _, st := range steps {
		res, err := s.db.NewDelete().Model(st.model).Where(st.where, toDB(st.arg)).Exec(ctx)
		if err != nil {
			return p, wrapErr(err, "delete expired (%s)", st.where)
		}
		n, _ := res.RowsAffected()
		*st.n += int(n)
	}
	return p, nil
}
