package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func register20261126000007(ms *migrate.Migrations) error {
	return ms.Register(passwordChangedUp, passwordChangedDown)
}

// passwordChangedUp records when a password last changed, so browser
// sessions signed in before it end (a reset locks an attacker out).
func passwordChangedUp(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "password_changed", []string{`ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMPTZ`})
}

func passwordChangedDown(ctx context.Context, db *bun.DB) error {
	return execAll(ctx, db, "password_changed down", []string{`ALTER TABLE users DROP COLUMN password_changed_at`})
}
