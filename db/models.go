package db

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// stringList is a []string stored as a JSON array in a TEXT column, which
// both SQLite and Postgres handle the same way. nil and empty are both stored
// as "[]" and read back as nil.
type stringList []string

// Value implements driver.Valuer.
func (l stringList) Value() (driver.Value, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (l *stringList) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*l = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan string list: unsupported type %T", src)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("scan string list: %w", err)
	}
	if len(out) == 0 {
		out = nil
	}
	*l = out
	return nil
}

// toDB normalizes a time for storage: UTC, truncated to the microsecond both
// backends keep (Postgres would round, SQLite text would truncate).
func toDB(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// fromDB returns stored times in UTC whatever location the driver picked.
func fromDB(t time.Time) time.Time { return t.UTC() }

func toDBPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := toDB(*t)
	return &u
}

func fromDBPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := fromDB(*t)
	return &u
}

// copyList returns a copy so rows never alias the caller's slices.
func copyList(l []string) stringList {
	if len(l) == 0 {
		return nil
	}
	return append(stringList(nil), l...)
}

// Row structs mirror the tables created by db/migrations. Their bun tags name
// the columns; the column types live in the migrations.

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           string    `bun:"id,pk"`
	Username     string    `bun:"username"`
	PasswordHash string    `bun:"password_hash"`
	Admin        bool      `bun:"admin"`
	Disabled     bool      `bun:"disabled"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
	// PasswordChangedAt ends browser sessions signed in before it.
	PasswordChangedAt *time.Time `bun:"password_changed_at"`
}

type clientRow struct {
	bun.BaseModel `bun:"table:clients"`

	ID                      string     `bun:"id,pk"`
	SecretHash              string     `bun:"secret_hash"`
	Name                    string     `bun:"name"`
	RedirectURIs            stringList `bun:"redirect_uris"`
	GrantTypes              stringList `bun:"grant_types"`
	ResponseTypes           stringList `bun:"response_types"`
	TokenEndpointAuthMethod string     `bun:"token_endpoint_auth_method"`
	Scope                   string     `bun:"scope"`
	ClientURI               string     `bun:"client_uri"`
	LogoURI                 string     `bun:"logo_uri"`
	Contacts                stringList `bun:"contacts"`
	SoftwareID              string     `bun:"software_id"`
	SoftwareVersion         string     `bun:"software_version"`
	Source                  string     `bun:"source"`
	JWKSURI                 string     `bun:"jwks_uri"`
	JWKS                    string     `bun:"jwks"`
	RegistrationTokenHash   string     `bun:"registration_token_hash"`
	RegisteredFrom          string     `bun:"registered_from"`
	ResourceServer          bool       `bun:"resource_server"`
	Disabled                bool       `bun:"disabled"`
	CreatedAt               time.Time  `bun:"created_at"`
	LastUsedAt              *time.Time `bun:"last_used_at"`
	IgnoredScopes           stringList `bun:"ignored_scopes"`
}

type routeRow struct {
	bun.BaseModel `bun:"table:routes"`

	Name      string     `bun:"name,pk"`
	Upstream  string     `bun:"upstream"`
	Title     string     `bun:"title"`
	Scopes    stringList `bun:"scopes"`
	CreatedAt time.Time  `bun:"created_at"`

	StepUp               string     `bun:"step_up"` // JSON array of oauth.StepUpRule
	AdminOnly            bool       `bun:"admin_only"`
	AllowedUsers         stringList `bun:"allowed_users"`
	UpstreamHeaderName   string     `bun:"upstream_header_name"`
	UpstreamHeaderSealed []byte     `bun:"upstream_header_sealed"`
}

type authRequestRow struct {
	bun.BaseModel `bun:"table:auth_requests"`

	ID            string     `bun:"id,pk"`
	ClientID      string     `bun:"client_id"`
	RedirectURI   string     `bun:"redirect_uri"`
	State         string     `bun:"state"`
	Scopes        stringList `bun:"scopes"`
	Route         string     `bun:"route"`
	Resource      string     `bun:"resource"`
	CodeChallenge string     `bun:"code_challenge"`
	Prompt        string     `bun:"prompt"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
}

type codeRow struct {
	bun.BaseModel `bun:"table:codes"`

	Hash          string     `bun:"hash,pk"`
	GrantID       string     `bun:"grant_id"`
	ClientID      string     `bun:"client_id"`
	UserID        string     `bun:"user_id"`
	RedirectURI   string     `bun:"redirect_uri"`
	Route         string     `bun:"route"`
	Resource      string     `bun:"resource"`
	Scopes        stringList `bun:"scopes"`
	CodeChallenge string     `bun:"code_challenge"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	RedeemedAt    *time.Time `bun:"redeemed_at"`
}

type grantRow struct {
	bun.BaseModel `bun:"table:grants"`

	ID         string     `bun:"id,pk"`
	ClientID   string     `bun:"client_id"`
	UserID     string     `bun:"user_id"`
	Route      string     `bun:"route"`
	Resource   string     `bun:"resource"`
	Scopes     stringList `bun:"scopes"`
	CreatedAt  time.Time  `bun:"created_at"`
	ExpiresAt  time.Time  `bun:"expires_at"`
	LastUsedAt time.Time  `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

type refreshTokenRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	Hash      string     `bun:"hash,pk"`
	GrantID   string     `bun:"grant_id"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

type consentRow struct {
	bun.BaseModel `bun:"table:consents"`

	UserID    string     `bun:"user_id,pk"`
	ClientID  string     `bun:"client_id,pk"`
	Route     string     `bun:"route,pk"`
	Scopes    stringList `bun:"scopes"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`
}

type signingKeyRow struct {
	bun.BaseModel `bun:"table:signing_keys"`

	ID         string     `bun:"id,pk"`
	Algorithm  string     `bun:"algorithm"`
	PrivateEnc []byte     `bun:"private_enc"`
	PublicJWK  []byte     `bun:"public_jwk"`
	CreatedAt  time.Time  `bun:"created_at"`
	RetiredAt  *time.Time `bun:"retired_at"`
	NotAfter   *time.Time `bun:"not_after"`
}
