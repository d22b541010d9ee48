package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour // idle lifetime of one refresh token
	DefaultGrantTTL        = 90 * 24 * time.Hour // absolute lifetime of a refresh-token family
	DefaultCodeTTL         = 60 * time.Second    // LX-12: codes live at most 60 s
	DefaultAuthRequestTTL  = 10 * time.Minute
	DefaultKeyRotationKeep = DefaultAccessTokenTTL + time.Minute
	// MaxAccessTokenTTL caps access-token lifetimes; revocation entries are
	// kept this long, since no access token outlives it.
	MaxAccessTokenTTL = 24 * time.Hour
	// DefaultUnusedClientTTL is how long a dynamically registered client that
	// never completed a flow is kept.
	DefaultUnusedClientTTL = 24 * time.Hour
	// DefaultIdleClientTTL is serve's default for IdleClientTTL: a
	// registration that got no token for 90 days and holds no live grant is
	// forgotten (clients that register at every login leave one behind each).
	DefaultIdleClientTTL = 90 * 24 * time.Hour
)

// Client ID metadata document modes (Config.ClientMetadata).
const (
	ClientMetadataAdvertise = "advertise"
	ClientMetadataAccept    = "accept"
	ClientMetadataOff       = "off"
)

// Config is the authorization server's configuration, filled in by cmd.
type Config struct {
	// Issuer is the AS identifier, https (or http on a loopback host), no query or fragment.
	Issuer string
	// AllowRegistration enables and advertises RFC 7591 dynamic registration (LX-7).
	AllowRegistration bool
	// HideRegistration keeps an enabled registration endpoint out of the
	// metadata (LX-7: advertising and accepting are separate switches).
	HideRegistration bool
	// ClientMetadata is how URL client IDs (client ID metadata documents)
	// are handled: "advertise" (the default when empty) accepts and
	// advertises them, "accept" accepts without advertising, "off" refuses.
	ClientMetadata string
	// MaxUnusedClients caps dynamic clients that never completed a flow;
	// UnusedClientTTL is how long such a client is kept.
	MaxUnusedClients int
	UnusedClientTTL  time.Duration
	// IdleClientTTL is how long a dynamically registered client that did get
	// tokens is kept after its last one once it holds no live grant. Zero
	// keeps such clients for ever; serve's default is DefaultIdleClientTTL.
	IdleClientTTL time.Duration
	// StrictRedirects refuses private-use URI schemes (cursor://…) at registration (LX-3).
	StrictRedirects bool
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	GrantTTL        time.Duration
	CodeTTL         time.Duration
	AuthRequestTTL  time.Duration
}

// WithDefaults returns c with zero durations replaced by the defaults
// (except IdleClientTTL, where zero means off).
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, DefaultAccessTokenTTL)
	def(&c.RefreshTokenTTL, DefaultRefreshTokenTTL)
	def(&c.GrantTTL, DefaultGrantTTL)
	def(&c.CodeTTL, DefaultCodeTTL)
	def(&c.AuthRequestTTL, DefaultAuthRequestTTL)
	def(&c.UnusedClientTTL, DefaultUnusedClientTTL)
	c.Issuer = strings.TrimRight(c.Issuer, "/")
	if c.MaxUnusedClients <= 0 {
		c.MaxUnusedClients = DefaultMaxUnusedClients
	}
	if c.ClientMetadata == "" {
		c.ClientMetadata = ClientMetadataAdvertise
	}
	return c
}

// Validate fails fast on a configuration the server must not run with.
func (c Config) Validate() error {
	if err := ValidateIssuer(c.Issuer); err != nil {
		return err
	}
	if c.CodeTTL > DefaultCodeTTL {
		return fmt.Errorf("oauth: code lifetime %s exceeds %s", c.CodeTTL, DefaultCodeTTL)
	}
	switch c.ClientMetadata {
	case ClientMetadataAdvertise, ClientMetadataAccept, ClientMetadataOff:
	default:
		return fmt.Errorf("oauth: client metadata mode %q: want advertise, accept or off", c.ClientMetadata)
	}
	if c.AccessTokenTTL > MaxAccessTokenTTL {
		return errors.New("oauth: access token lifetime above 24h; tokens must be short-lived (AS-16)")
	}
	if c.UnusedClientTTL < 0 {
		return fmt.Errorf("oauth: unused client retention %s is negative", c.UnusedClientTTL)
	}
	if c.IdleClientTTL < 0 {
		return fmt.Errorf("oauth: idle client retention %s is negative (0 keeps used clients)", c.IdleClientTTL)
	}
	return nil
}

// ValidateIssuer checks an issuer URL: https, or http only on a loopback host
// (AS-19; RFC 8414 §2: no query or fragment).
func ValidateIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oauth: issuer %q is not an absolute URL", issuer)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("oauth: issuer %q must not carry a query, fragment or userinfo", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("oauth: issuer %q uses plain http on a non-loopback host; use https", issuer)
	default:
		return fmt.Errorf("oauth: issuer %q must use https", issuer)
	}
}

// IsLoopbackHost reports whether host (no port) is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
