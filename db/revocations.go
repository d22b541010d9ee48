package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/oauth"
)

type revocationRow struct {
	bun.BaseModel `bun:"table:revocations"`

	Seq       int64     `bun:"seq,pk,autoincrement"`
	Kind      string    `bun:"kind"`
	Ref       string    `bun:"ref"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// RecordRevocation appends r to the revocation log and sets r.Seq.
func (s *Store) RecordRevocation(ctx context.Context, r *oauth.Revocation) error {
	err := checkNUL(string(r.Kind), r.Ref)
	if err == nil {
		row := &revocationRow{Kind: string(r.Kind), Ref: r.Ref, CreatedAt: toDB(r.CreatedAt), ExpiresAt: toDB(r.ExpiresAt)}
		if _, err = s.db.NewInsert().Model(row).Returning("seq").Exec(ctx); err == nil {
			r.Seq = row.Seq
		}
	}
	return wrapErr(err, "record revocation of %s %q", r.Kind, r.Ref)
}

// ListRevocations returns unexpired entries after seq, oldest first.
func (s *Store) ListRevocations(ctx context.Context, after int64, now time.Time, limit int) ([]*oauth.Revocation, error) {
	var rows []revocationRow
	err := s.db.NewSelect().Model(&rows).Where("seq > ?", after).Where("expires_at > ?", toDB(now)).
		OrderExpr("seq").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, wrapErr(err, "list revocations after %d", after)
	}
	out := make([]*oauth.Revocation, len(rows))
	for i, r := range rows {
		out[i] = &oauth.Revocation{Seq: r.Seq, Kind: oauth.RevocationKind(r.Kind), Ref: r.Ref, CreatedAt: fromDB(r.CreatedAt), ExpiresAt: fromDB(r.ExpiresAt)}
	}
	return out, nil
}

// IsRevoked reports whether the log holds an unexpired entry of kind for ref.
func (s *Store) IsRevoked(ctx context.Context, kind oauth.RevocationKind, ref string, now time.Time) (bool, error) {
	if validKey(ref) != nil {
		return false, nil
	}
	n, err := s.db.NewSelect().Model((*revocationRow)(nil)).Where("kind = ? AND ref = ?", string(kind), ref).
		Where("expires_at > ?", toDB(now)).Count(ctx)
	if err != nil {
		return false, wrapErr(err, "check revocation of %s %q", kind, ref)
	}
	return n > 0, nil
}
