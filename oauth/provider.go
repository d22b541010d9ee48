package oauth

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Provider is the OAuth 2.1 authorization server: metadata, registration,
// the authorization-code flow's protocol half, and the token endpoint. The
// login and consent pages live in package web and call into it.
type Provider struct {
	cfg   Config
	store Store
	keys  *KeySet
	clock func() time.Time
	log   *slog.Logger
	// fetcher is the SSRF-safe client for metadata documents and jwks_uri.
	fetcher *Fetcher
	cimd    *cimdCache
	jwks    *cimdCache // fetched jwks_uri documents
	// registerLimit is the per-IP rate limit of POST /register.
	registerLimit *RateLimiter
	fetchLimit    *RateLimiter // metadata-document fetches per source
	metrics       Metrics
}

// Metrics counts events per route for the console's charts.
type Metrics interface {
	Add(route, metric string, n int64)
}

type noMetrics struct{}

func (noMetrics) Add(string, string, int64) {}

// WithMetrics injects the counter of issued tokens.
func WithMetrics(m Metrics) Option { return func(p *Provider) { p.metrics = m } }

// Option configures a Provider.
type Option func(*Provider)

// WithClock injects the time source (tests use a fixed clock).
func WithClock(clock func() time.Time) Option { return func(p *Provider) { p.clock = clock } }

// WithFetcher injects the outbound client (its policy comes from the
// environment in serve, see FetchPolicyFromEnv).
func WithFetcher(f *Fetcher) Option { return func(p *Provider) { p.fetcher = f } }

// WithLogger injects the logger.
func WithLogger(l *slog.Logger) Option { return func(p *Provider) { p.log = l } }

// New builds a Provider. cfg is completed with defaults and validated.
func New(cfg Config, store Store, keys *KeySet, opts ...Option) (*Provider, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || keys == nil {
		return nil, errors.New("oauth: New needs a store and a key set")
	}
	p := &Provider{cfg: cfg, store: store, keys: keys, clock: time.Now, log: slog.New(slog.DiscardHandler),
		cimd: newCIMDCache(), jwks: newCIMDCache(), registerLimit: NewRateLimiter(registerPerMinute, registerBurst, 20000),
		fetchLimit: NewRateLimiter(documentFetchesPerMinute, documentFetchBurst, 20000)}
	for _, o := range opts {
		o(p)
	}
	if p.metrics == nil {
		p.metrics = noMetrics{}
	}
	if p.fetcher == nil {
		p.fetcher = NewFetcher(FetchPolicy{})
	}
	return p, nil
}

// Config returns the effective configuration.
func (p *Provider) Config() Config { return p.cfg }

// Issuer is the configured issuer identifier.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Keys is the signing key set.
func (p *Provider) Keys() *KeySet { return p.keys }

// now is the injected clock in UTC.
func (p *Provider) now() time.Time { return p.clock().UTC() }

// Fetcher is the provider's outbound client (for /readyz's report).
func (p *Provider) Fetcher() *Fetcher { return p.fetcher }

// Ping reports whether the store is reachable (for /readyz).
func (p *Provider) Ping(ctx context.Context) error { return p.store.Ping(ctx) }
