package db

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/oauth"
)

func userFromDomain(u *oauth.User) (*userRow, error) {
	if err := checkNUL(u.ID, u.Username, u.PasswordHash); err != nil {
		return nil, err
	}
	return &userRow{
		ID:           u.ID,
		Username:     u.Username,
		PasswordHash: u.PasswordHash,
		Admin:        u.Admin,
		Disabled:     u.Disabled,
		CreatedAt:    toDB(u.CreatedAt),
		UpdatedAt:    toDB(u.UpdatedAt),
	}, nil
}

func (r *userRow) toDomain() *oauth.User {
	return &oauth.User{
		ID:           r.ID,
		Username:     r.Username,
		PasswordHash: r.PasswordHash,
		Admin:        r.Admin,
		Disabled:     r.Disabled,
		CreatedAt:    fromDB(r.CreatedAt),
		UpdatedAt:    fromDB(r.UpdatedAt),
	}
}

// CreateUser inserts u; an existing ID or username gives oauth.ErrConflict.
// Usernames are compared as stored: callers normalise them first.
func (s *Store) CreateUser(ctx context.Context, u *oauth.User) error {
	row, err := userFromDomain(u)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create user %q", u.Username)
}

// GetUser returns the user with the given ID or oauth.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*oauth.User, error) {
	return s.getUser(ctx, "id", id)
}

// GetUserByUsername returns the user with the given username or oauth.ErrNotFound.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*oauth.User, error) {
	return s.getUser(ctx, "username", username)
}

func (s *Store) getUser(ctx context.Context, column, value string) (*oauth.User, error) {
	row := new(userRow)
	err := validKey(value)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("? = ?", bun.Ident(column), value).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get user by %s %q", column, value)
	}
	return row.toDomain(), nil
}

// ListUsers returns all users, oldest first.
func (s *Store) ListUsers(ctx context.Context) ([]*oauth.User, error) {
	var rows []userRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list users")
	}
	out := make([]*oauth.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// UpdateUser replaces PasswordHash, Admin, Disabled and UpdatedAt of the user
// with u.ID, or returns oauth.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u *oauth.User) error {
	row, err := userFromDomain(u)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model(row).
			Column("password_hash", "admin", "disabled", "updated_at").WherePK().Exec(ctx))
	}
	return wrapErr(err, "update user %q", u.ID)
}
