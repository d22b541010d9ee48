package db

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"

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

// reapBatch bounds the client IDs one dependent DELETE names.
const reapBatch = 500

// DeleteUnusedClients deletes clients of a source created before the given
// time that never completed a flow, with what names them.
func (s *Store) DeleteUnusedClients(ctx context.Context, source string, createdBefore time.Time) (int, error) {
	n, err := s.reapClients(ctx, func(q *bun.DeleteQuery) *bun.DeleteQuery {
		return q.Where("source = ?", source).Where("last_used_at IS NULL").Where("created_at < ?", toDB(createdBefore))
	})
	return n, wrapErr(err, "delete unused %s clients", source)
}

// DeleteIdleClients deletes dynamically registered clients whose last token
// is older than usedBefore and that hold nothing live at now, with what
// names them. A flow in progress keeps its client: a pending authorization
// request or an unredeemed code counts as live, so a client coming back
// after a long pause is not deleted between consent and token.
func (s *Store) DeleteIdleClients(ctx context.Context, usedBefore, now time.Time) (int, error) {
	at := toDB(now)
	n, err := s.reapClients(ctx, func(q *bun.DeleteQuery) *bun.DeleteQuery {
		return q.Where("source = ?", oauth.SourceDCR).
			Where("last_used_at < ?", toDB(usedBefore)). // NULL (never used) is DeleteUnusedClients' case
			Where("NOT EXISTS (SELECT 1 FROM grants AS g WHERE g.client_id = ?TableAlias.id AND g.revoked_at IS NULL AND g.expires_at > ?)", at).
			Where("NOT EXISTS (SELECT 1 FROM auth_requests AS a WHERE a.client_id = ?TableAlias.id AND a.expires_at > ?)", at).
			Where("NOT EXISTS (SELECT 1 FROM codes AS k WHERE k.client_id = ?TableAlias.id AND k.redeemed_at IS NULL AND k.expires_at > ?)", at)
	})
	return n, wrapErr(err, "delete idle clients")
}

// reapClients deletes the clients where selects, in one conditional DELETE
// … RETURNING id, then the rows that name them by client_id (the schema has
// no foreign keys to clients; refresh tokens cascade from their grants), in
// one transaction. Replicas running it at once only compete for the same
// rows: a client one of them deleted is not returned to another.
func (s *Store) reapClients(ctx context.Context, where func(*bun.DeleteQuery) *bun.DeleteQuery) (int, error) {
	var ids []string
	err := s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		t := tx.(*Store)
		ids = nil
		if _, err := where(t.db.NewDelete().Model((*clientRow)(nil))).Returning("id").Exec(ctx, &ids); err != nil {
			return err
		}
		for chunk := range slices.Chunk(ids, reapBatch) {
			for _, model := range []any{(*grantRow)(nil), (*consentRow)(nil), (*codeRow)(nil), (*authRequestRow)(nil), (*usedAssertionRow)(nil)} {
				if _, err := t.db.NewDelete().Model(model).Where("client_id IN (?)", bun.List(chunk)).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}
