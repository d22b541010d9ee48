package oauth

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every Store maps its backend's errors to. Callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrAlreadyUsed is returned by RedeemCode and UseRefreshToken when the
	// code or token exists but was used before; the returned value is still set
	// so the caller can revoke what it issued (RFC 9700 §4.14, OAuth 2.1 §4.1.3).
	ErrAlreadyUsed = errors.New("already used")
)

// ClientStore keeps OAuth clients.
type ClientStore interface {
	CreateClient(ctx context.Context, c *Client) error
	GetClient(ctx context.Context, id string) (*Client, error)
	ListClients(ctx context.Context) ([]*Client, error)
	// UpdateClient replaces every mutable field of the client with the same ID.
	UpdateClient(ctx context.Context, c *Client) error
	// SetClientDisabled changes only the disabled flag.
	SetClientDisabled(ctx context.Context, id string, disabled bool) error
	DeleteClient(ctx context.Context, id string) error
	TouchClient(ctx context.Context, id string, at time.Time) error
	// SetClientIgnoredScopes changes only the scopes the client asked for
	// that nothing offers (shown to operators).
	SetClientIgnoredScopes(ctx context.Context, id string, scopes []string) error
}

// UserStore keeps local accounts.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByUsername(ctx context.Context, username string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser replaces PasswordHash, Admin, Disabled and UpdatedAt.
	UpdateUser(ctx context.Context, u *User) error
	// SetUserPassword and SetUserFlags change only what they name (no lost
	// updates between concurrent admin actions) and have replicas re-check
	// the user's cached tokens.
	SetUserPassword(ctx context.Context, id, hash string, at time.Time) error
	SetUserFlags(ctx context.Context, id string, f UserFlags, at time.Time) error
}

// RouteStore keeps the published MCP routes.
type RouteStore interface {
	CreateRoute(ctx context.Context, r *Route) error
	GetRoute(ctx context.Context, name string) (*Route, error)
	ListRoutes(ctx context.Context) ([]*Route, error)
	DeleteRoute(ctx context.Context, name string) error
}

// AuthRequestStore keeps authorization requests between /authorize and consent.
type AuthRequestStore interface {
	CreateAuthRequest(ctx context.Context, a *AuthRequest) error
	GetAuthRequest(ctx context.Context, id string) (*AuthRequest, error)
	DeleteAuthRequest(ctx context.Context, id string) error
}

// CodeStore keeps authorization codes by hash.
type CodeStore interface {
	CreateCode(ctx context.Context, c *Code) error
	// RedeemCode marks the code redeemed in one atomic statement and returns it.
	// A code redeemed before returns the code and ErrAlreadyUsed; an unknown
	// hash returns ErrNotFound.
	RedeemCode(ctx context.Context, hash string, at time.Time) (*Code, error)
}

// GrantStore keeps grants (refresh-token families) and their refresh tokens.
type GrantStore interface {
	CreateGrant(ctx context.Context, g *Grant) error
	GetGrant(ctx context.Context, id string) (*Grant, error)
	// ListGrants lists grants, filtered by user and/or client ID when not "".
	ListGrants(ctx context.Context, userID, clientID string) ([]*Grant, error)
	TouchGrant(ctx context.Context, id string, at time.Time) error
	// RevokeGrant sets RevokedAt once and records a RevokedGrant entry in the
	// revocation log; revoking a revoked or unknown grant is not an error.
	RevokeGrant(ctx context.Context, id string, at time.Time) error
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken reads a token by hash without using it.
	GetRefreshToken(ctx context.Context, hash string) (*RefreshToken, error)
	// UseRefreshToken marks the token used in one atomic statement and returns it.
	// A token used before returns the token and ErrAlreadyUsed; unknown: ErrNotFound.
	UseRefreshToken(ctx context.Context, hash string, at time.Time) (*RefreshToken, error)
}

// RevocationStore keeps the revocation log (see Revocation).
type RevocationStore interface {
	// RecordRevocation appends an entry and sets its Seq.
	RecordRevocation(ctx context.Context, r *Revocation) error
	// ListRevocations returns entries with Seq > after that have not expired
	// at now, in Seq order, at most limit of them.
	ListRevocations(ctx context.Context, after int64, now time.Time, limit int) ([]*Revocation, error)
	// IsRevoked reports whether an unexpired entry of kind names ref.
	IsRevoked(ctx context.Context, kind RevocationKind, ref string, now time.Time) (bool, error)
}

// TrustStore keeps settings (the trust policy's mode), the allowlist of
// metadata-document domains, and used client-assertion jtis.
type TrustStore interface {
	GetSetting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string, at time.Time) error
	ListTrustedDomains(ctx context.Context) ([]string, error)
	AddTrustedDomain(ctx context.Context, domain string, at time.Time) error
	RemoveTrustedDomain(ctx context.Context, domain string) error
	// UseAssertion records a jti once; a repeat gives ErrAlreadyUsed.
	UseAssertion(ctx context.Context, clientID, jti string, expires time.Time) error
	// CountUnusedClients / DeleteUnusedClients concern clients of a source
	// that never completed a flow (LastUsedAt unset).
	// registeredFrom, when not "", counts only that address's clients.
	CountUnusedClients(ctx context.Context, source, registeredFrom string) (int, error)
	DeleteUnusedClients(ctx context.Context, source string, createdBefore time.Time) (int, error)
	// DeleteIdleClients deletes dynamically registered clients (SourceDCR
	// only) that got a token, none since usedBefore, and hold nothing live
	// at now: no grant that is neither revoked nor expired, no unexpired
	// authorization request, no unredeemed unexpired code.
	//
	// Both Delete…Clients take what names a deleted client with it (grants
	// and their refresh tokens, consents, codes, authorization requests,
	// assertion jtis) in the same transaction, and are safe on several
	// replicas at once.
	DeleteIdleClients(ctx context.Context, usedBefore, now time.Time) (int, error)
}

// ConsoleStore keeps the audit log and the console's metric counters.
type ConsoleStore interface {
	RecordAudit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
	// AddMetrics adds counts to their hourly buckets (upsert, additive).
	AddMetrics(ctx context.Context, counts []MetricCount) error
	// ListMetrics returns buckets in [from, to), oldest first.
	ListMetrics(ctx context.Context, from, to time.Time) ([]MetricCount, error)
	// SumMetrics sums [from, to) per route and metric (Bucket = from).
	SumMetrics(ctx context.Context, from, to time.Time) ([]MetricCount, error)
	// ListConsents lists a user's remembered consents.
	ListConsents(ctx context.Context, userID string) ([]*Consent, error)
	// UpdateRoute replaces a route's settings (by name).
	UpdateRoute(ctx context.Context, r *Route) error
	// ConsoleCounts counts users, clients, routes and live grants.
	ConsoleCounts(ctx context.Context, now time.Time) (Counts, error)
}

// ConsentStore keeps remembered consents.
type ConsentStore interface {
	GetConsent(ctx context.Context, userID, clientID, route string) (*Consent, error)
	// SaveConsent inserts or replaces the consent for (user, client, route).
	SaveConsent(ctx context.Context, c *Consent) error
	DeleteConsent(ctx context.Context, userID, clientID, route string) error
}

// KeyStore keeps signing keys.
type KeyStore interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RetireSigningKey sets RetiredAt and NotAfter on a key that is not retired yet.
	RetireSigningKey(ctx context.Context, id string, at, notAfter time.Time) error
}

// Store is everything the provider and the console persist.
type Store interface {
	ClientStore
	UserStore
	RouteStore
	AuthRequestStore
	CodeStore
	GrantStore
	ConsentStore
	KeyStore
	RevocationStore
	TrustStore
	ConsoleStore
	// DeleteExpired removes expired codes, authorization requests, refresh
	// tokens, grants, revocation entries, assertion jtis and old session
	// bindings; safe to run on every replica at once.
	DeleteExpired(ctx context.Context, now time.Time) (Purged, error)
	// InTx runs fn in one transaction with a Store bound to it; fn's error rolls back.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
}
