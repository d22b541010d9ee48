package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/oauth"
)

type settingRow struct {
	bun.BaseModel `bun:"table:settings"`

	Name      string    `bun:"name,pk"`
	Value     string    `bun:"value"`
	UpdatedAt time.Time `bun:"updated_at"`
}

type trustedDomainRow struct {
	bun.BaseModel `bun:"table:trusted_domains"`

	Domain    string    `bun:"domain,pk"`
	CreatedAt time.Time `bun:"created_at"`
}

type usedAssertionRow struct {
	bun.BaseModel `bun:"table:used_assertions"`

	ClientID  string    `bun:"client_id,pk"`
	JTI       string    `bun:"jti,pk"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// GetSetting returns a stored setting or oauth.ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, name string) (string, error) {
	row := new(settingRow)
	err := validKey(name)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("name = ?", name).Scan(ctx)
	}
	return row.Value, wrapErr(err, "get setting %q", name)
}

// SetSetting inserts or replaces a setting.
func (s *Store) SetSetting(ctx context.Context, name, value string, at time.Time) error {
	err := checkNUL(name, value)
	if err == nil {
		_, err = s.db.NewInsert().Model(&settingRow{Name: name, Value: value, UpdatedAt: toDB(at)}).
			On("CONFLICT (name) DO UPDATE").Set("value = EXCLUDED.value, updated_at = EXCLUDED.updated_at").Exec(ctx)
	}
	return wrapErr(err, "set setting %q", name)
}

// ListTrustedDomains returns the allowlist, sorted.
func (s *Store) ListTrustedDomains(ctx context.Context) ([]string, error) {
	var rows []trustedDomainRow
	if err := s.db.NewSelect().Model(&rows).OrderExpr("domain").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list trusted domains")
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Domain
	}
	return out, nil
}

// AddTrustedDomain adds a domain pattern; an existing one gives oauth.ErrConflict.
func (s *Store) AddTrustedDomain(ctx context.Context, domain string, at time.Time) error {
	err := checkNUL(domain)
	if err == nil {
		_, err = s.db.NewInsert().Model(&trustedDomainRow{Domain: domain, CreatedAt: toDB(at)}).Exec(ctx)
	}
	return wrapErr(err, "add trusted domain %q", domain)
}

// RemoveTrustedDomain removes a domain pattern or returns oauth.ErrNotFound.
func (s *Store) RemoveTrustedDomain(ctx context.Context, domain string) error {
	err := validKey(domain)
	if err == nil {
		err = checkAffected(s.db.NewDelete().Model((*trustedDomainRow)(nil)).Where("domain = ?", domain).Exec(ctx))
	}
	return wrapErr(err, "remove trusted domain %q", domain)
}

// UseAssertion records a client assertion's jti until it expires; a jti the
// client used before gives oauth.ErrAlreadyUsed (RFC 7523 §3 replay check).
func (s *Store) UseAssertion(ctx context.Context, clientID, jti string, expires time.Time) error {
	err := checkNUL(clientID, jti)
	if err == nil {
		_, err = s.db.NewInsert().Model(&usedAssertionRow{ClientID: clientID, JTI: jti, ExpiresAt: toDB(expires)}).Exec(ctx)
	}
	err = wrapErr(err, "use assertion of %q", clientID)
	if errors.Is(err, oauth.ErrConflict) {
		return fmt.Errorf("db: assertion of %q: %w", clientID, oauth.ErrAlreadyUsed)
	}
	return err
}

// CountUnusedClients counts clients of a source that never completed a flow.
func (s *Store) CountUnusedClients(ctx context.Context, source, registeredFrom string) (int, error) {
	q := s.db.NewSelect().Model((*clientRow)(nil)).Where("source = ?", source).Where("last_used_at IS NULL")
	if registeredFrom != "" {
		q = q.Where("registered_from = ?", registeredFrom)
	}
	n, err := q.Count(ctx)
	return int(n), wrapErr(err, "count unused %s clients", source)
}
