package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func codeFromDomain(c *oauth.Code) (*codeRow, error) {
	if err := checkNUL(c.Hash, c.GrantID, c.ClientID, c.UserID, c.RedirectURI, c.Route,
		c.Resource, c.CodeChallenge); err != nil {
		return nil, err
	}
	if err := checkNULLists(c.Scopes); err != nil {
		return nil, err
	}
	return &codeRow{
		Hash:          c.Hash,
		GrantID:       c.GrantID,
		ClientID:      c.ClientID,
		UserID:        c.UserID,
		RedirectURI:   c.RedirectURI,
		Route:         c.Route,
		Resource:      c.Resource,
		Scopes:        copyList(c.Scopes),
		CodeChallenge: c.CodeChallenge,
		CreatedAt:     toDB(c.CreatedAt),
		ExpiresAt:     toDB(c.ExpiresAt),
		RedeemedAt:    toDBPtr(c.RedeemedAt),
	}, nil
}

func (r *codeRow) toDomain() *oauth.Code {
	return &oauth.Code{
		Hash:          r.Hash,
		GrantID:       r.GrantID,
		ClientID:      r.ClientID,
		UserID:        r.UserID,
		RedirectURI:   r.RedirectURI,
		Route:         r.Route,
		Resource:      r.Resource,
		Scopes:        r.Scopes,
		CodeChallenge: r.CodeChallenge,
		CreatedAt:     fromDB(r.CreatedAt),
		ExpiresAt:     fromDB(r.ExpiresAt),
		RedeemedAt:    fromDBPtr(r.RedeemedAt),
	}
}

// CreateCode inserts c; an existing hash gives oauth.ErrConflict.
func (s *Store) CreateCode(ctx context.Context, c *oauth.Code) error {
	row, err := codeFromDomain(c)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create code %s", short(c.Hash))
}

// RedeemCode marks the code redeemed with one conditional UPDATE … RETURNING,
// so of any number of concurrent calls exactly one wins. A code redeemed
// before is returned with oauth.ErrAlreadyUsed, an unknown hash gives
// oauth.ErrNotFound. Expiry is the caller's check.
func (s *Store) RedeemCode(ctx context.Context, hash string, at time.Time) (*oauth.Code, error) {
	if err := validKey(hash); err != nil {
		return nil, wrapErr(err, "redeem code %s", short(hash))
	}
	row := new(codeRow)
	err := s.db.NewUpdate().Model(row).
		Set("redeemed_at = ?", toDB(at)).
		Where("hash = ?", hash).
		Where("redeemed_at IS NULL").
		Returning("*").
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		// Replayed, or lost the race: tell that apart from an unknown hash.
		if err = s.db.NewSelect().Model(row).Where("hash = ?", hash).Scan(ctx); err == nil {
			return row.toDomain(), fmt.Errorf("db: redeem code %s: %w", short(hash), oauth.ErrAlreadyUsed)
		}
	}
	if err != nil {
		return nil, wrapErr(err, "redeem code %s", short(hash))
	}
	return row.toDomain(), nil
}
