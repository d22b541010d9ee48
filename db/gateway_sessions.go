package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

type gatewaySessionRow struct {
	bun.BaseModel `bun:"table:gateway_sessions"`

	Route       string    `bun:"route,pk"`
	SessionHash string    `bun:"session_hash,pk"`
	UserID      string    `bun:"user_id"`
	CreatedAt   time.Time `bun:"created_at"`
}

// BindSession records that userID created the session; binding an id that
// is already bound gives oauth.ErrConflict.
func (s *Store) BindSession(ctx context.Context, route, sessionHash, userID string, at time.Time) error {
	err := checkNUL(route, sessionHash, userID)
	if err == nil {
		_, err = s.db.NewInsert().Model(&gatewaySessionRow{Route: route, SessionHash: sessionHash, UserID: userID, CreatedAt: toDB(at)}).Exec(ctx)
	}
	return wrapErr(err, "bind session on %q", route)
}

// SessionOwner returns the user bound to a session, or oauth.ErrNotFound.
func (s *Store) SessionOwner(ctx context.Context, route, sessionHash string) (string, error) {
	row := new(gatewaySessionRow)
	err := validKey(sessionHash)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("route = ? AND session_hash = ?", route, sessionHash).Scan(ctx)
	}
	if err != nil {
		return "", wrapErr(err, "get session owner on %q", route)
	}
	return row.UserID, nil
}

// DeleteSession forgets an ended session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, route, sessionHash string) error {
	_, err := s.db.NewDelete().Model((*gatewaySessionRow)(nil)).Where("route = ? AND session_hash = ?", route, sessionHash).Exec(ctx)
	return wrapErr(err, "delete session on %q", route)
}
