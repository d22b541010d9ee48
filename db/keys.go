package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func signingKeyFromDomain(k *oauth.SigningKey) (*signingKeyRow, error) {
	if err := checkNUL(k.ID, k.Algorithm); err != nil {
		return nil, err
	}
	return &signingKeyRow{
		ID:         k.ID,
		Algorithm:  k.Algorithm,
		PrivateEnc: nonNilBytes(k.PrivateEnc),
		PublicJWK:  nonNilBytes(k.PublicJWK),
		CreatedAt:  toDB(k.CreatedAt),
		RetiredAt:  toDBPtr(k.RetiredAt),
		NotAfter:   toDBPtr(k.NotAfter),
	}, nil
}

func (r *signingKeyRow) toDomain() *oauth.SigningKey {
	return &oauth.SigningKey{
		ID:         r.ID,
		Algorithm:  r.Algorithm,
		PrivateEnc: r.PrivateEnc,
		PublicJWK:  r.PublicJWK,
		CreatedAt:  fromDB(r.CreatedAt),
		RetiredAt:  fromDBPtr(r.RetiredAt),
		NotAfter:   fromDBPtr(r.NotAfter),
	}
}

// nonNilBytes copies b, mapping nil to empty: bun writes a nil slice as NULL
// and the columns are NOT NULL.
func nonNilBytes(b []byte) []byte {
	return append([]byte{}, b...)
}

// CreateSigningKey inserts k; an existing ID gives oauth.ErrConflict.
func (s *Store) CreateSigningKey(ctx context.Context, k *oauth.SigningKey) error {
	row, err := signingKeyFromDomain(k)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create signing key %q", k.ID)
}

// ListSigningKeys returns all keys, retired ones included, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*oauth.SigningKey, error) {
	var rows []signingKeyRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list signing keys")
	}
	out := make([]*oauth.SigningKey, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// RetireSigningKey sets RetiredAt and NotAfter on a key that is not retired
// yet. Retiring a retired key changes nothing and is not an error (the first
// dates stand); an unknown ID gives oauth.ErrNotFound.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at, notAfter time.Time) error {
	if err := validKey(id); err != nil {
		return wrapErr(err, "retire signing key %q", id)
	}
	err := checkAffected(s.db.NewUpdate().Model((*signingKeyRow)(nil)).
		Set("retired_at = ?", toDB(at)).Set("not_after = ?", toDB(notAfter)).
		Where("id = ?", id).Where("retired_at IS NULL").Exec(ctx))
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing matched: unknown, or retired before.
		var n int64
		if n, err = s.db.NewSelect().Model((*signingKeyRow)(nil)).Where("id = ?", id).Count(ctx); err == nil && n == 0 {
			err = sql.ErrNoRows
		}
	}
	return wrapErr(err, "retire signing key %q", id)
}
