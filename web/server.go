// Package web is Latchkey's HTTP layer: the route table, middleware, the
// login and consent pages, and (later) the gateway and console.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/sessions"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/static"
	"github.com/latchkey/latchkey/web/gateway"
	"github.com/latchkey/latchkey/web/metrics"
)

// Defaults for the HTTP server.
const (
	DefaultAddr          = "127.0.0.1:8080"
	DefaultSessionMaxAge = 12 * time.Hour
	// loginPerMinute (burst loginBurst) bounds sign-in attempts per source.
	loginPerMinute = 10
	loginBurst     = 20
	// DefaultCleanupInterval spaces clean-up passes.
	DefaultCleanupInterval = 10 * time.Minute
	shutdownGrace          = 20 * time.Second
)

// Config is the web layer's configuration.
type Config struct {
	Addr   string // listen address
	Issuer string // from configuration, never from the Host header (LX-11)
	// SessionMaxAge bounds a browser sign-in.
	SessionMaxAge time.Duration
	// AllowedOrigins are browser origins besides the issuer's that may call
	// the MCP gateway (TR-2), e.g. the MCP Inspector's.
	AllowedOrigins []string
	// Warnings are reported by /readyz (the test-only fetch switches).
	Warnings []string
	// MetricsToken, when set, is the bearer token Prometheus scrapes
	// /metrics with; without it only loopback peers may read /metrics.
	MetricsToken string
	// MetricsFlush is how often counters are written to the database.
	MetricsFlush time.Duration
	// CleanupInterval is how often expired state is deleted.
	CleanupInterval time.Duration
	// RevocationPoll is how often this replica reads the revocation log
	// (gateway.DefaultRevocationPoll when zero).
	RevocationPoll time.Duration
	// BodyReadTimeout bounds the reading of a request body
	// (DefaultBodyReadTimeout when zero).
	BodyReadTimeout time.Duration
}

// Validate fails fast on a bad configuration.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("web: listen address is empty")
	}
	if err := oauth.ValidateIssuer(c.Issuer); err != nil {
		return err
	}
	// LX-10: endpoints live at the issuer's root, so the issuer is an origin.
	if u, err := url.Parse(c.Issuer); err != nil || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("web: issuer %q must not have a path", c.Issuer)
	}
	return nil
}

// Store is what the web layer persists: the provider's state and the
// gateway's session bindings.
type Store interface {
	oauth.Store
	gateway.Store
}

// Deps are the collaborators the web layer needs.
type Deps struct {
	Provider *oauth.Provider
	Store    Store
	Secrets  *oauth.Secrets
	Hasher   *oauth.Hasher
	Assets   *static.Assets
	Log      *slog.Logger
	Clock    func() time.Time
	// Metrics counts tokens and gateway traffic for the console's charts;
	// give the provider the same recorder (oauth.WithMetrics). nil: a new one.
	Metrics *metrics.Recorder
}

// Server serves every HTTP endpoint of Latchkey.
type Server struct {
	cfg      Config
	provider *oauth.Provider
	store    Store
	hasher   *oauth.Hasher
	assets   *static.Assets
	log      *slog.Logger
	clock    func() time.Time
	sessions *sessions.CookieStore
	gateway  *gateway.Gateway
	metrics  *metrics.Recorder
	secrets  *oauth.Secrets
	// loginLimit throttles password guessing per source address.
	loginLimit *oauth.RateLimiter
	// throttleAudit records a throttled source once a minute, not per attempt.
	throttleAudit *oauth.RateLimiter
	secure        bool   // issuer is https: cookies get Secure and the __Host- prefix
	origin        string // scheme://host of the issuer
	handler       http.Handler
}

// New builds the server and its route table.
func New(cfg Config, d Deps) (*Server, error) {
	if cfg.SessionMaxAge <= 0 {
		cfg.SessionMaxAge = DefaultSessionMaxAge
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Provider == nil || d.Store == nil || d.Secrets == nil || d.Hasher == nil || d.Assets == nil {
		return nil, errors.New("web: New needs provider, store, secrets, hasher and assets")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("web: parse issuer: %w", err)
	}
	s := &Server{
		cfg: cfg, provider: d.Provider, store: d.Store, hasher: d.Hasher, assets: d.Assets,
		log: d.Log, clock: d.Clock, secure: iss.Scheme == "https", origin: iss.Scheme + "://" + iss.Host,
	}
	s.sessions = newCookieStore(d.Secrets, s.secure, cfg.SessionMaxAge)
	s.secrets = d.Secrets
	s.loginLimit = oauth.NewRateLimiter(loginPerMinute, loginBurst, 20000)
	s.throttleAudit = oauth.NewRateLimiter(1, 1, 20000)
	s.metrics = d.Metrics
	if s.metrics == nil {
		s.metrics = metrics.New(d.Store, d.Clock, d.Log)
	}
	s.gateway, err = gateway.New(gateway.Config{Issuer: cfg.Issuer, AllowedOrigins: cfg.AllowedOrigins, Metrics: s.metrics},
		d.Provider.Keys(), d.Secrets, d.Store, d.Log, d.Clock)
	if err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the complete HTTP handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// RunBackground runs this replica's background work until ctx ends:
// following the revocation log. Serve runs it; tests that use Handler
// directly start it themselves.
func (s *Server) RunBackground(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.runCleanup(ctx) }()
	go func() { defer wg.Done(); s.metrics.Run(ctx, s.cfg.MetricsFlush) }()
	s.gateway.WatchRevocations(ctx, s.cfg.RevocationPoll)
	wg.Wait()
}

// runCleanup deletes expired state now and then every CleanupInterval;
// safe on every replica at once.
func (s *Server) runCleanup(ctx context.Context) {
	every := s.cfg.CleanupInterval
	if every <= 0 {
		every = DefaultCleanupInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := s.provider.Cleanup(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "clean-up failed", "error", err)
		} else if r != (oauth.CleanupReport{}) {
			s.log.InfoContext(ctx, "clean-up", "unused_clients", r.UnusedClients, "idle_clients", r.IdleClients, "codes", r.Codes, "auth_requests", r.AuthRequests,
				"refresh_tokens", r.RefreshTokens, "grants", r.Grants, "revocations", r.Revocations, "assertions", r.Assertions, "sessions", r.Sessions)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve listens on cfg.Addr until ctx is done, then drains in-flight
// requests for up to shutdownGrace (SIGTERM handling lives in cmd).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(s.gateway.Drain) // open SSE streams end at an event boundary
	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go s.RunBackground(bg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", slog.Duration("grace", shutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
