package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/oauth"
)

func userFromDomain(u *oauth.User) (*userRow, error) {
	if err := checkNUL(u.ID, u.Username, u.PasswordHash); err != nil {
		return nil, err
	}
	return &userRow{
		ID:                u.ID,
		Username:          u.Username,
		PasswordHash:      u.PasswordHash,
		Admin:             u.Admin,
		Disabled:          u.Disabled,
		CreatedAt:         toDB(u.CreatedAt),
		UpdatedAt:         toDB(u.UpdatedAt),
		PasswordChangedAt: toDBPtr(u.PasswordChangedAt),
	}, nil
}

func (r *userRow) toDomain() *oauth.User {
	return &oauth.User{
		ID:                r.ID,
		Username:          r.Username,
		PasswordHash:      r.PasswordHash,
		Admin:             r.Admin,
		Disabled:          r.Disabled,
		CreatedAt:         fromDB(r.CreatedAt),
		UpdatedAt:         fromDB(r.UpdatedAt),
		PasswordChangedAt: fromDBPtr(r.PasswordChangedAt),
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

// SetUserPassword changes only the password (and when it changed), so a
// concurrent disable or role change is never written back. The user's
// cached tokens are re-checked everywhere (a revocation-log entry).
func (s *Store) SetUserPassword(ctx context.Context, id, hash string, at time.Time) error {
	if err := checkNUL(id, hash); err != nil {
		return wrapErr(err, "set password of %q", id)
	}
	return s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		err := checkAffected(tx.(*Store).db.NewUpdate().Model((*userRow)(nil)).Set("password_hash = ?", hash).
			Set("password_changed_at = ?", toDB(at)).Set("updated_at = ?", toDB(at)).Where("id = ?", id).Exec(ctx))
		if err != nil {
			return wrapErr(err, "set password of %q", id)
		}
		return tx.RecordRevocation(ctx, userRecheck(id, at))
	})
}

// SetUserFlags changes only the flags given (nil leaves one as it is), and
// has every replica drop the user's cached tokens so policy sees the change.
func (s *Store) SetUserFlags(ctx context.Context, id string, f oauth.UserFlags, at time.Time) error {
	if err := validKey(id); err != nil || (f.Disabled == nil && f.Admin == nil) {
		return wrapErr(err, "set flags of %q", id)
	}
	return s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		q := tx.(*Store).db.NewUpdate().Model((*userRow)(nil)).Set("updated_at = ?", toDB(at)).Where("id = ?", id)
		if f.Disabled != nil {
			q = q.Set("disabled = ?", *f.Disabled)
		}
		if f.Admin != nil {
			q = q.Set("admin = ?", *f.Admin)
		}
		if err := checkAffected(q.Exec(ctx)); err != nil {
			return wrapErr(err, "set flags of %q", id)
		}
		return tx.RecordRevocation(ctx, userRecheck(id, at))
	})
}

// userRecheck is the revocation-log entry that evicts a user's cached
// tokens; they are verified again (and refused if the user is disabled).
func userRecheck(id string, at time.Time) *oauth.Revocation {
	return &oauth.Revocation{Kind: oauth.RevokedUser, Ref: id, CreatedAt: at, ExpiresAt: at.Add(oauth.MaxAccessTokenTTL)}
}
