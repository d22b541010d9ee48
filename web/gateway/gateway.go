// Package gateway is Latchkey's MCP resource server and proxy: it publishes
// each route at {issuer}/mcp/{route}, answers RFC 9728 protected resource
// metadata, validates audience-bound bearer tokens, and proxies Streamable
// HTTP to the route's upstream with the upstream's own credentials.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// Store is what the gateway reads.
type Store interface {
	GetRoute(ctx context.Context, name string) (*oauth.Route, error)
	ListRoutes(ctx context.Context) ([]*oauth.Route, error)
	GetGrant(ctx context.Context, id string) (*oauth.Grant, error)
	GetUser(ctx context.Context, id string) (*oauth.User, error)
	// Session bindings, shared by every replica (RS-15, PX-15).
	BindSession(ctx context.Context, route, sessionHash, userID string, at time.Time) error
	SessionOwner(ctx context.Context, route, sessionHash string) (string, error)
	DeleteSession(ctx context.Context, route, sessionHash string) error
	// The revocation log every replica follows (see WatchRevocations).
	ListRevocations(ctx context.Context, after int64, now time.Time, limit int) ([]*oauth.Revocation, error)
	IsRevoked(ctx context.Context, kind oauth.RevocationKind, ref string, now time.Time) (bool, error)
}

// Config configures the gateway.
type Config struct {
	Issuer string
	// AllowedOrigins are browser origins, besides the issuer's, that may call
	// the gateway (TR-2), e.g. "http://localhost:6274" for the MCP Inspector.
	AllowedOrigins []string
	// RouteCacheTTL bounds how long a route's settings are reused without a
	// database read; TokenCacheSize bounds the verified-token cache.
	RouteCacheTTL  time.Duration
	TokenCacheSize int
	// KeepAlive is the SSE silence after which a comment is sent (TR-14).
	KeepAlive time.Duration
	// Metrics counts requests and errors per route (nil: not counted).
	Metrics interface {
		Add(route, metric string, n int64)
	}
}

// Defaults for Config.
const (
	DefaultRouteCacheTTL  = 5 * time.Second
	DefaultTokenCacheSize = 10000
)

// Gateway serves /mcp/{route} and the protected resource metadata.
type Gateway struct {
	cfg     Config
	keys    *oauth.KeySet
	secrets *oauth.Secrets
	store   Store
	log     *slog.Logger
	clock   func() time.Time
	origins map[string]bool
	// public is the issuer's scheme and host: what the upstream is told
	// the client reached (X-Forwarded-Proto/-Host), never the Host header.
	public   *url.URL
	tokens   *tokenCache
	sessions *sessionBinder

	mu     sync.Mutex
	routes map[string]*routeEntry

	streams *streamRegistry // requests in flight, ended by revocations

	// draining is closed by Drain when the server shuts down.
	draining  chan struct{}
	drainOnce sync.Once
}

// Drain ends open SSE streams at their next event boundary, so a graceful
// shutdown does not wait for clients that never hang up.
func (g *Gateway) Drain() { g.drainOnce.Do(func() { close(g.draining) }) }

// routeEntry is a cached route with the proxy built for its upstream.
type routeEntry struct {
	route   *oauth.Route
	proxy   *upstreamProxy
	fetched time.Time
}

// New builds a gateway.
func New(cfg Config, keys *oauth.KeySet, secrets *oauth.Secrets, store Store, log *slog.Logger, clock func() time.Time) (*Gateway, error) {
	if cfg.RouteCacheTTL <= 0 {
		cfg.RouteCacheTTL = DefaultRouteCacheTTL
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.TokenCacheSize <= 0 {
		cfg.TokenCacheSize = DefaultTokenCacheSize
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || iss.Host == "" {
		return nil, fmt.Errorf("gateway: bad issuer %q", cfg.Issuer)
	}
	g := &Gateway{
		cfg: cfg, keys: keys, secrets: secrets, store: store, log: log, clock: clock,
		origins:  map[string]bool{strings.ToLower(iss.Scheme + "://" + iss.Host): true},
		public:   &url.URL{Scheme: iss.Scheme, Host: iss.Host},
		tokens:   newTokenCache(cfg.TokenCacheSize),
		sessions: newSessionBinder(100000),
		routes:   map[string]*routeEntry{},
		draining: make(chan struct{}),
		streams:  newStreamRegistry(),
	}
	for _, o := range cfg.AllowedOrigins {
		g.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return g, nil
}

// route returns the route and its proxy, re-reading the database at most
// every RouteCacheTTL. The proxy (and its Transport) is built once per
// upstream URL and never modified afterwards.
func (g *Gateway) route(ctx context.Context, name string) (*routeEntry, error) {
	now := g.clock()
	g.mu.Lock()
	e := g.routes[name]
	g.mu.Unlock()
	if e != nil && now.Sub(e.fetched) < g.cfg.RouteCacheTTL {
		return e, nil
	}
	r, err := g.store.GetRoute(ctx, name)
	if err != nil {
		if errors.Is(err, oauth.ErrNotFound) {
			g.mu.Lock()
			delete(g.routes, name)
			g.mu.Unlock()
		}
		return nil, err
	}
	next := &routeEntry{route: r, fetched: now}
	if e != nil && sameUpstream(e.route, r) {
		next.proxy = e.proxy
	} else if next.proxy, err = g.newUpstreamProxy(r); err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.routes[name] = next
	g.mu.Unlock()
	return next, nil
}

// resourceURL is the canonical URL of a route (the tokens' aud).
func (g *Gateway) resourceURL(route string) string { return oauth.ResourceURL(g.cfg.Issuer, route) }

// metadataURL is where the route's RFC 9728 document lives (path-suffixed form).
func (g *Gateway) metadataURL(route string) string {
	return strings.TrimRight(g.cfg.Issuer, "/") + "/.well-known/oauth-protected-resource/mcp/" + route
}

// sameUpstream reports whether a reloaded route can keep its proxy.
func sameUpstream(a, b *oauth.Route) bool {
	return a.Upstream == b.Upstream && a.UpstreamHeaderName == b.UpstreamHeaderName &&
		bytes.Equal(a.UpstreamHeaderSealed, b.UpstreamHeaderSealed)
}
