package db

import (
	"context"

	"github.com/latchkey/latchkey/oauth"
)

func consentFromDomain(c *oauth.Consent) (*consentRow, error) {
	if err := checkNUL(c.UserID, c.ClientID, c.Route); err != nil {
		return nil, err
	}
	if err := checkNULLists(c.Scopes); err != nil {
		return nil, err
	}
	return &consentRow{
		UserID:    c.UserID,
		ClientID:  c.ClientID,
		Route:     c.Route,
		Scopes:    copyList(c.Scopes),
		CreatedAt: toDB(c.CreatedAt),
		UpdatedAt: toDB(c.UpdatedAt),
	}, nil
}

func (r *consentRow) toDomain() *oauth.Consent {
	return &oauth.Consent{
		UserID:    r.UserID,
		ClientID:  r.ClientID,
		Route:     r.Route,
		Scopes:    r.Scopes,
		CreatedAt: fromDB(r.CreatedAt),
		UpdatedAt: fromDB(r.UpdatedAt),
	}
}

// GetConsent returns the consent for (user, client, route) or oauth.ErrNotFound.
func (s *Store) GetConsent(ctx context.Context, userID, clientID, route string) (*oauth.Consent, error) {
	row := new(consentRow)
	err := validKey(userID, clientID, route)
	if err == nil {
		err = s.db.NewSelect().Model(row).
			Where("user_id = ?", userID).Where("client_id = ?", clientID).Where("route = ?", route).
			Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get consent of user %q client %q route %q", userID, clientID, route)
	}
	return row.toDomain(), nil
}

// SaveConsent inserts the consent or, in the same statement, replaces the
// scopes and UpdatedAt of the existing one; the first CreatedAt is kept.
func (s *Store) SaveConsent(ctx context.Context, c *oauth.Consent) error {
	row, err := consentFromDomain(c)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).
			On("CONFLICT (user_id, client_id, route) DO UPDATE").
			Set("scopes = EXCLUDED.scopes").
			Set("updated_at = EXCLUDED.updated_at").
			Exec(ctx)
	}
	return wrapErr(err, "save consent of user %q client %q route %q", c.UserID, c.ClientID, c.Route)
}

// DeleteConsent deletes the consent, or returns oauth.ErrNotFound.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID, route string) error {
	err := validKey(userID, clientID, route)
	if err == nil {
		err = checkAffected(s.db.NewDelete().Model((*consentRow)(nil)).
			Where("user_id = ?", userID).Where("client_id = ?", clientID).Where("route = ?", route).
			Exec(ctx))
	}
	return wrapErr(err, "delete consent of user %q client %q route %q", userID, clientID, route)
}
