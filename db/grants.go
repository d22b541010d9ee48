package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func grantFromDomain(g *oauth.Grant) (*grantRow, error) {
	if err := checkNUL(g.ID, g.ClientID, g.UserID, g.Route, g.Resource); err != nil {
		return nil, err
	}
	if err := checkNULLists(g.Scopes); err != nil {
		return nil, err
	}
	return &grantRow{
		ID:         g.ID,
		ClientID:   g.ClientID,
		UserID:     g.UserID,
		Route:      g.Route,
		Resource:   g.Resource,
		Scopes:     copyList(g.Scopes),
		CreatedAt:  toDB(g.CreatedAt),
		ExpiresAt:  toDB(g.ExpiresAt),
		LastUsedAt: toDB(g.LastUsedAt),
		RevokedAt:  toDBPtr(g.RevokedAt),
	}, nil
}

func (r *grantRow) toDomain() *oauth.Grant {
	return &oauth.Grant{
		ID:         r.ID,
		ClientID:   r.ClientID,
		UserID:     r.UserID,
		Route:      r.Route,
		Resource:   r.Resource,
		Scopes:     r.Scopes,
		CreatedAt:  fromDB(r.CreatedAt),
		ExpiresAt:  fromDB(r.ExpiresAt),
		LastUsedAt: fromDB(r.LastUsedAt),
		RevokedAt:  fromDBPtr(r.RevokedAt),
	}
}

// CreateGrant inserts g; an existing ID gives oauth.ErrConflict.
func (s *Store) CreateGrant(ctx context.Context, g *oauth.Grant) error {
	row, err := grantFromDomain(g)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create grant %q", g.ID)
}

// GetGrant returns the grant with the given ID or oauth.ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, id string) (*oauth.Grant, error) {
	row := new(grantRow)
	err := validKey(id)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get grant %q", id)
	}
	return row.toDomain(), nil
}

// ListGrants returns grants oldest first, revoked ones included, filtered by
// user and/or client when those are not "".
func (s *Store) ListGrants(ctx context.Context, userID, clientID string) ([]*oauth.Grant, error) {
	var rows []grantRow
	if validKey(userID, clientID) != nil {
		return nil, nil
	}
	q := s.db.NewSelect().Model(&rows).Order("created_at", "id")
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	if clientID != "" {
		q = q.Where("client_id = ?", clientID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrapErr(err, "list grants of user %q client %q", userID, clientID)
	}
	out := make([]*oauth.Grant, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// TouchGrant sets the grant's LastUsedAt, or returns oauth.ErrNotFound.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model((*grantRow)(nil)).
			Set("last_used_at = ?", toDB(at)).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "touch grant %q", id)
}

// RevokeGrant sets RevokedAt unless it is already set, and records the
// revocation in the log replicas follow, in one transaction. Revoking a
// revoked or unknown grant is not an error, so revocation can be retried.
func (s *Store) RevokeGrant(ctx context.Context, id string, at time.Time) error {
	if validKey(id) != nil {
		return nil
	}
	return s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		res, err := tx.(*Store).db.NewUpdate().Model((*grantRow)(nil)).
			Set("revoked_at = ?", toDB(at)).Where("id = ?", id).Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return wrapErr(err, "revoke grant %q", id)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.RecordRevocation(ctx, &oauth.Revocation{Kind: oauth.RevokedGrant, Ref: id, CreatedAt: at, ExpiresAt: at.Add(oauth.MaxAccessTokenTTL)})
	})
}

func refreshTokenFromDomain(t *oauth.RefreshToken) (*refreshTokenRow, error) {
	if err := checkNUL(t.Hash, t.GrantID); err != nil {
		return nil, err
	}
	return &refreshTokenRow{
		Hash:      t.Hash,
		GrantID:   t.GrantID,
		CreatedAt: toDB(t.CreatedAt),
		ExpiresAt: toDB(t.ExpiresAt),
		UsedAt:    toDBPtr(t.UsedAt),
	}, nil
}

func (r *refreshTokenRow) toDomain() *oauth.RefreshToken {
	return &oauth.RefreshToken{
		Hash:      r.Hash,
		GrantID:   r.GrantID,
		CreatedAt: fromDB(r.CreatedAt),
		ExpiresAt: fromDB(r.ExpiresAt),
		UsedAt:    fromDBPtr(r.UsedAt),
	}
}

// CreateRefreshToken inserts t. An existing hash gives oauth.ErrConflict and
// an unknown grant oauth.ErrNotFound (foreign key). Deleting a grant deletes
// its refresh tokens.
func (s *Store) CreateRefreshToken(ctx context.Context, t *oauth.RefreshToken) error {
	row, err := refreshTokenFromDomain(t)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create refresh token %s of grant %q", short(t.Hash), t.GrantID)
}

// UseRefreshToken marks the token used with one conditional UPDATE …
// RETURNING, so of any number of concurrent calls exactly one wins. A token
// used before is returned with oauth.ErrAlreadyUsed (the caller then revokes
// the family), an unknown hash gives oauth.ErrNotFound.
func (s *Store) UseRefreshToken(ctx context.Context, hash string, at time.Time) (*oauth.RefreshToken, error) {
	if err := validKey(hash); err != nil {
		return nil, wrapErr(err, "use refresh token %s", short(hash))
	}
	row := new(refreshTokenRow)
	err := s.db.NewUpdate().Model(row).
		Set("used_at = ?", toDB(at)).
		Where("hash = ?", hash).
		Where("used_at IS NULL").
		Returning("*").
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		// Reused, or lost the race: tell that apart from an unknown hash.
		if err = s.db.NewSelect().Model(row).Where("hash = ?", hash).Scan(ctx); err == nil {
			return row.toDomain(), fmt.Errorf("db: use refresh token %s: %w", short(hash), oauth.ErrAlreadyUsed)
		}
	}
	if err != nil {
		return nil, wrapErr(err, "use refresh token %s", short(hash))
	}
	return row.toDomain(), nil
}

// GetRefreshToken returns a refresh token by hash without using it, or
// oauth.ErrNotFound.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (*oauth.RefreshToken, error) {
	row := new(refreshTokenRow)
	err := validKey(hash)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("hash = ?", hash).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get refresh token %s", short(hash))
	}
	return row.toDomain(), nil
}
