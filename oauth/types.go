package oauth

import (
	"log/slog"
	"slices"
	"time"
)

// Client sources: how a client came to be known.
const (
	SourceDCR    = "dcr"    // RFC 7591 dynamic registration
	SourceCIMD   = "cimd"   // client ID metadata document (URL client_id)
	SourceStatic = "static" // pre-registered by an operator
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// Client is a registered OAuth client. SecretHash is empty for public clients.
type Client struct {
	ID                      string
	SecretHash              string // hex SHA-256 of the client secret; "" for public clients
	Name                    string
	RedirectURIs            []string
	GrantTypes              []string
	ResponseTypes           []string
	TokenEndpointAuthMethod string
	Scope                   string // space-separated scopes the client registered, may be ""
	ClientURI               string
	LogoURI                 string
	Contacts                []string
	SoftwareID              string
	SoftwareVersion         string
	Source                  string
	// JWKSURI or JWKS (a JSON Web Key Set) hold the keys of a
	// private_key_jwt client (RFC 7523, LX-5).
	JWKSURI string
	JWKS    string
	// RegistrationTokenHash is the hash of the RFC 7592 registration access
	// token of a dynamically registered client; RegisteredFrom its IP.
	RegistrationTokenHash string
	RegisteredFrom        string
	// ResourceServer clients may introspect every token, not only their own.
	ResourceServer bool
	Disabled       bool
	CreatedAt      time.Time
	LastUsedAt     *time.Time
	// IgnoredScopes are scopes the client asked for that no route offered
	// (dropped from its grants; at most MaxIgnoredScopes are kept).
	IgnoredScopes []string
}

// Public reports whether the client authenticates with "none".
func (c *Client) Public() bool { return c.TokenEndpointAuthMethod == AuthNone }

// UsesSecret reports whether the client authenticates with a shared secret.
func (c *Client) UsesSecret() bool {
	return c.TokenEndpointAuthMethod == AuthClientSecretBasic || c.TokenEndpointAuthMethod == AuthClientSecretPost
}

// LogValue keeps secrets out of logs.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.ID), slog.String("source", c.Source))
}

// User is a local account.
type User struct {
	ID           string
	Username     string
	PasswordHash string // PHC-formatted argon2id hash
	Admin        bool
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// PasswordChangedAt ends browser sessions signed in before it.
	PasswordChangedAt *time.Time
}

// UserFlags are the flags SetUserFlags changes; nil leaves one unchanged.
type UserFlags struct {
	Disabled, Admin *bool
}

// Route is one upstream MCP server published at {issuer}/mcp/{name}.
type Route struct {
	Name     string
	Upstream string
	Title    string
	Scopes   []string // scopes a token for this route may carry
	// StepUp rules require extra scopes for particular MCP methods or tools (RS-5).
	StepUp []StepUpRule
	// AdminOnly and AllowedUsers (usernames) restrict who may use the route.
	AdminOnly    bool
	AllowedUsers []string
	// UpstreamHeaderName/Sealed are the upstream's own credential, e.g.
	// "Authorization" and an AEAD-sealed "Bearer …" (PX-7: never the client's).
	UpstreamHeaderName   string
	UpstreamHeaderSealed []byte
	CreatedAt            time.Time
}

// Allows applies the route's policy (who may use it) to a user: the gateway
// checks it on every request, the consent flow before it issues a code.
func (r *Route) Allows(u *User) bool {
	if r.AdminOnly && !u.Admin {
		return false
	}
	return len(r.AllowedUsers) == 0 || slices.Contains(r.AllowedUsers, u.Username) || (r.AdminOnly && u.Admin)
}

// StepUpRule says that calling Method (and, for tools/call, a tool whose name
// matches the glob Tool; "" matches any) needs Scopes.
type StepUpRule struct {
	Method string   `json:"method"`
	Tool   string   `json:"tool,omitempty"`
	Scopes []string `json:"scopes"`
}

// BaseScopes are the route's scopes that no step-up rule needs: what a client
// gets by default and what the route advertises (RS-4: minimal set).
func (r *Route) BaseScopes() []string {
	elevated := map[string]bool{}
	for _, rule := range r.StepUp {
		for _, s := range rule.Scopes {
			elevated[s] = true
		}
	}
	out := []string{}
	for _, s := range r.Scopes {
		if !elevated[s] {
			out = append(out, s)
		}
	}
	return out
}

// UpstreamHeaderAAD binds a sealed upstream header to its route.
func UpstreamHeaderAAD(route string) []byte { return []byte("route-upstream-header:" + route) }

// AuthRequest is a validated authorization request waiting for login and consent.
type AuthRequest struct {
	ID            string // opaque, random; carried by the login and consent pages
	ClientID      string
	RedirectURI   string
	State         string
	Scopes        []string
	Route         string
	Resource      string // canonical resource URL of Route
	CodeChallenge string // S256 challenge
	Prompt        string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// LogValue keeps the state and challenge out of logs.
func (a *AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("auth_request", a.ID), slog.String("client_id", a.ClientID), slog.String("route", a.Route))
}

// Code is an issued authorization code, stored only as a hash.
type Code struct {
	Hash          string
	GrantID       string // the grant (refresh-token family) the code will create; revoked on replay
	ClientID      string
	UserID        string
	RedirectURI   string
	Route         string
	Resource      string
	Scopes        []string
	CodeChallenge string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	RedeemedAt    *time.Time
}

// Grant is what one consent produced for one client: a refresh-token family.
// Revoking it invalidates every refresh token of the family and, through the
// access tokens' "sid" claim, every access token it issued.
type Grant struct {
	ID         string
	ClientID   string
	UserID     string
	Route      string
	Resource   string
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time // absolute end of the family
	LastUsedAt time.Time
	RevokedAt  *time.Time
}

// Grant statuses, as operators see them.
const (
	GrantActive  = "active"
	GrantRevoked = "revoked"
	GrantExpired = "expired"
)

// Status says whether the grant is active, revoked or expired at now.
func (g *Grant) Status(now time.Time) string {
	switch {
	case g.RevokedAt != nil:
		return GrantRevoked
	case !now.Before(g.ExpiresAt):
		return GrantExpired
	}
	return GrantActive
}

// RefreshToken is one member of a grant's family, stored only as a hash.
type RefreshToken struct {
	Hash      string
	GrantID   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time // set when rotated; a second use revokes the family
}

// RevocationKind says what a revocation entry takes away.
type RevocationKind string

// Revocation kinds.
const (
	RevokedGrant  RevocationKind = "grant"  // every token of one grant
	RevokedToken  RevocationKind = "token"  // one access token, by jti
	RevokedUser   RevocationKind = "user"   // every token of one user
	RevokedClient RevocationKind = "client" // every token of one client
)

// Revocation is one entry in the revocation log every replica follows, so a
// token revoked anywhere is refused everywhere, including from caches.
// Seq orders entries; ExpiresAt is when the entry stops mattering (the last
// access token it can concern has expired).
type Revocation struct {
	Seq       int64
	Kind      RevocationKind
	Ref       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Consent records what a user approved for a client on a route.
type Consent struct {
	UserID    string
	ClientID  string
	Route     string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SigningKey is a JWS signing key; the private part is encrypted at rest.
type SigningKey struct {
	ID         string // kid
	Algorithm  string // e.g. ES256
	PrivateEnc []byte // AEAD-sealed PKCS#8 private key
	PublicJWK  []byte // JSON of the public JWK
	CreatedAt  time.Time
	RetiredAt  *time.Time // no longer signs; still verifies until NotAfter
	NotAfter   *time.Time // after this the key leaves the JWKS
}

// AuditEvent is one entry of the audit log: who did what, to what, when and
// from where. Actor is a username, "cli:<os user>", or a client_id.
type AuditEvent struct {
	ID        int64
	At        time.Time
	Actor     string
	Action    string // e.g. "route.create", "login.failure", "consent.grant"
	Target    string
	Detail    string
	IP        string
	RequestID string
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Query    string // substring of actor, action, target or detail
	BeforeID int64  // page: only events older than this ID (0: from the newest)
	Limit    int
}

// MetricCount is one aggregated counter: count of metric on route in the
// hour starting at Bucket.
type MetricCount struct {
	Bucket time.Time
	Route  string
	Metric string
	Count  int64
}

// Metric names.
const (
	MetricTokensIssued    = "tokens_issued"
	MetricGatewayRequests = "gateway_requests"
	MetricGatewayErrors   = "gateway_errors"
)

// Counts are the dashboard's headline numbers.
type Counts struct {
	Users, Clients, Routes, ActiveGrants int
}
