package db

import (
	"context"

	"github.com/latchkey/latchkey/oauth"
)

func authRequestFromDomain(a *oauth.AuthRequest) (*authRequestRow, error) {
	if err := checkNUL(a.ID, a.ClientID, a.RedirectURI, a.State, a.Route, a.Resource,
		a.CodeChallenge, a.Prompt); err != nil {
		return nil, err
	}
	if err := checkNULLists(a.Scopes); err != nil {
		return nil, err
	}
	return &authRequestRow{
		ID:            a.ID,
		ClientID:      a.ClientID,
		RedirectURI:   a.RedirectURI,
		State:         a.State,
		Scopes:        copyList(a.Scopes),
		Route:         a.Route,
		Resource:      a.Resource,
		CodeChallenge: a.CodeChallenge,
		Prompt:        a.Prompt,
		CreatedAt:     toDB(a.CreatedAt),
		ExpiresAt:     toDB(a.ExpiresAt),
	}, nil
}

func (r *authRequestRow) toDomain() *oauth.AuthRequest {
	return &oauth.AuthRequest{
		ID:            r.ID,
		ClientID:      r.ClientID,
		RedirectURI:   r.RedirectURI,
		State:         r.State,
		Scopes:        r.Scopes,
		Route:         r.Route,
		Resource:      r.Resource,
		CodeChallenge: r.CodeChallenge,
		Prompt:        r.Prompt,
		CreatedAt:     fromDB(r.CreatedAt),
		ExpiresAt:     fromDB(r.ExpiresAt),
	}
}

// CreateAuthRequest inserts a; an existing ID gives oauth.ErrConflict.
func (s *Store) CreateAuthRequest(ctx context.Context, a *oauth.AuthRequest) error {
	row, err := authRequestFromDomain(a)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create auth request %q", a.ID)
}

// GetAuthRequest returns the request with the given ID or oauth.ErrNotFound.
// It does not check expiry; the caller does.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (*oauth.AuthRequest, error) {
	row := new(authRequestRow)
	err := validKey(id)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get auth request %q", id)
	}
	return row.toDomain(), nil
}

// DeleteAuthRequest deletes the request, or returns oauth.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewDelete().Model((*authRequestRow)(nil)).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "delete auth request %q", id)
}
