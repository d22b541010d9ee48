package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/static"
	"github.com/latchkey/latchkey/web"
	"github.com/latchkey/latchkey/web/gateway"
	"github.com/latchkey/latchkey/web/gateway/demo"
	"github.com/latchkey/latchkey/web/metrics"
)

const (
	// keyReloadInterval is how often a server re-reads the signing keys, so
	// that keys rotate from the CLI or another replica takes effect.
	keyReloadInterval = 30 * time.Second
	// hashConcurrency bounds concurrent argon2id hashes (memory, not CPU).
	hashConcurrency = 4
)

func (p *program) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "migrate the database and serve the authorization server, gateway and console",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", EnvVars: []string{"LATCHKEY_ADDR"}, Value: web.DefaultAddr, Usage: "listen address"},
			&cli.BoolFlag{Name: "demo", Usage: "also create the user demo and the route demo, and print how to try them"},
			&cli.BoolFlag{Name: "allow-registration", EnvVars: []string{"LATCHKEY_ALLOW_REGISTRATION"}, Value: true,
				Usage: "allow dynamic client registration (RFC 7591)"},
			&cli.BoolFlag{Name: "advertise-registration", EnvVars: []string{"LATCHKEY_ADVERTISE_REGISTRATION"}, Value: true,
				Usage: "list the registration endpoint in the metadata (when registration is allowed)"},
			&cli.StringFlag{Name: "client-metadata", EnvVars: []string{"LATCHKEY_CLIENT_METADATA"}, Value: oauth.ClientMetadataAdvertise,
				Usage: "URL client IDs (client ID metadata documents): advertise, accept (without advertising) or off"},
			&cli.BoolFlag{Name: "strict-redirects", EnvVars: []string{"LATCHKEY_STRICT_REDIRECTS"},
				Usage: "refuse private-use redirect URI schemes (cursor://…) at registration"},
			&cli.StringSliceFlag{Name: "allowed-origin", EnvVars: []string{"LATCHKEY_ALLOWED_ORIGINS"},
				Usage: "browser origin, besides the issuer's, that may call the MCP gateway (repeatable; e.g. the MCP Inspector's http://localhost:6274)"},
			&cli.DurationFlag{Name: "key-reload-interval", EnvVars: []string{"LATCHKEY_KEY_RELOAD_INTERVAL"}, Value: keyReloadInterval,
				Usage: "how often signing keys are re-read (a rotation elsewhere is also picked up at the first token with a new kid)"},
			&cli.DurationFlag{Name: "revocation-poll", EnvVars: []string{"LATCHKEY_REVOCATION_POLL"}, Value: gateway.DefaultRevocationPoll,
				Usage: "how often the revocation log is read; bounds how long a revoked token stays usable on this replica"},
			&cli.DurationFlag{Name: "cleanup-interval", EnvVars: []string{"LATCHKEY_CLEANUP_INTERVAL"}, Value: web.DefaultCleanupInterval,
				Usage: "how often expired state is deleted (safe on every replica)"},
			&cli.DurationFlag{Name: "unused-client-retention", EnvVars: []string{"LATCHKEY_UNUSED_CLIENT_RETENTION"}, Value: oauth.DefaultUnusedClientTTL,
				Usage: "how long a dynamically registered client that never got a token is kept"},
			&cli.DurationFlag{Name: "idle-client-retention", EnvVars: []string{"LATCHKEY_IDLE_CLIENT_RETENTION"}, Value: oauth.DefaultIdleClientTTL,
				Usage: "how long a dynamically registered client with no live grant is kept after its last token (0: for ever)"},
			&cli.StringFlag{Name: "metrics-token", EnvVars: []string{"LATCHKEY_METRICS_TOKEN"},
				Usage: "bearer token Prometheus scrapes /metrics with (default: /metrics answers loopback peers only)"},
			&cli.StringFlag{Name: "demo-addr", Value: "127.0.0.1:0", Usage: "loopback address of the demo MCP server (with --demo)"},
			accessTokenTTLFlag(),
		},
		Action: p.serve,
	}
}

func (p *program) serve(c *cli.Context) (err error) {
	if _, err := positional(c); err != nil {
		return err
	}
	addr := c.String("addr")
	cfg := oauth.Config{
		Issuer:            p.opts.issuer,
		AllowRegistration: c.Bool("allow-registration"),
		HideRegistration:  !c.Bool("advertise-registration"),
		ClientMetadata:    c.String("client-metadata"),
		StrictRedirects:   c.Bool("strict-redirects"),
		AccessTokenTTL:    c.Duration("access-token-ttl"),
		UnusedClientTTL:   c.Duration("unused-client-retention"),
		IdleClientTTL:     c.Duration("idle-client-retention"),
	}
	if cfg.AccessTokenTTL <= 0 {
		return usageErrorf("--access-token-ttl must be positive")
	}
	// Unused registrations are capped (MaxUnusedClients), so they must go
	// eventually; 0 would silently mean the default.
	if cfg.UnusedClientTTL <= 0 {
		return usageErrorf("--unused-client-retention must be positive")
	}
	// Fail fast, before touching the database, on an issuer the server must
	// not run with (a derived one is checked again once the port is known).
	if err := p.checkIssuer(cfg, addr); err != nil {
		return err
	}
	// LX-8: the outbound client's only loosening comes from two test-only
	// environment variables; say so loudly.
	fetchPolicy, fetchWarnings, err := oauth.FetchPolicyFromEnv(p.getenv)
	if err != nil {
		return usageErrorf("%v", err)
	}
	for _, w := range fetchWarnings {
		p.log.Warn("test-only switch is set; never use it in production", slog.String("warning", w))
	}

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Once shutdown begins, a second signal gets the default behaviour and
	// ends the process without waiting for the drain.
	go func() { <-ctx.Done(); stop() }()
	bdb, err := p.openDB(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := bdb.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
		}
	}()
	store := db.New(bdb)
	secrets, err := p.secrets()
	if err != nil {
		return err
	}
	keys, err := oauth.NewKeySet(ctx, store, secrets, time.Now, keyKeep(cfg.AccessTokenTTL))
	if err != nil {
		return fmt.Errorf("load signing keys (is the master secret the one used before?): %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	if cfg.Issuer == "" {
		cfg.Issuer = issuerForAddr(listenAddr(addr, ln.Addr()))
	}
	origins := c.StringSlice("allowed-origin")
	if c.Bool("demo") {
		upstream, stopDemo, err := demo.Listen(ctx, c.String("demo-addr"), p.log)
		if err != nil {
			return fmt.Errorf("start the demo MCP server: %w", err)
		}
		defer stopDemo()
		if err := p.setupDemo(ctx, store, cfg.Issuer, upstream); err != nil {
			return err
		}
		origins = append(origins, demoInspectorOrigins...)
	}
	srv, err := p.newServer(cfg, store, secrets, keys, web.Config{Addr: ln.Addr().String(), AllowedOrigins: origins, Warnings: fetchWarnings,
		RevocationPoll: c.Duration("revocation-poll"), CleanupInterval: c.Duration("cleanup-interval"), MetricsToken: c.String("metrics-token")}, fetchPolicy)
	if err != nil {
		return err
	}

	reloadCtx, stopReload := context.WithCancel(ctx)
	reloaded := make(chan struct{})
	go func() {
		defer close(reloaded)
		reloadKeys(reloadCtx, keys, c.Duration("key-reload-interval"), p.log)
	}()
	defer func() { stopReload(); <-reloaded }()

	p.log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("issuer", cfg.Issuer))
	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	p.log.Info("stopped")
	return nil
}

// checkIssuer validates the configured issuer, or the one derived from addr.
func (p *program) checkIssuer(cfg oauth.Config, addr string) error {
	if cfg.Issuer != "" {
		return cfg.WithDefaults().Validate()
	}
	if err := oauth.ValidateIssuer(issuerForAddr(addr)); err != nil {
		return fmt.Errorf("%w (listening on %q: set --issuer or LATCHKEY_ISSUER to the https URL clients use)", err, addr)
	}
	cfg.Issuer = issuerForAddr(addr)
	return cfg.WithDefaults().Validate()
}

// newServer builds the authorization server and the HTTP layer on top of it.
func (p *program) newServer(cfg oauth.Config, store web.Store, secrets *oauth.Secrets, keys *oauth.KeySet, wcfg web.Config,
	fetch oauth.FetchPolicy) (*web.Server, error) {
	rec := metrics.New(store, time.Now, p.log)
	provider, err := oauth.New(cfg, store, keys, oauth.WithLogger(p.log), oauth.WithFetcher(oauth.NewFetcher(fetch)), oauth.WithMetrics(rec))
	if err != nil {
		return nil, err
	}
	assets, err := static.New()
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	wcfg.Issuer = provider.Issuer()
	return web.New(wcfg, web.Deps{
		Provider: provider,
		Store:    store,
		Secrets:  secrets,
		Hasher:   oauth.NewHasher(oauth.DefaultPasswordParams(), hashConcurrency),
		Assets:   assets,
		Log:      p.log,
		Clock:    time.Now,
		Metrics:  rec,
	})
}

// listenAddr is the address the default issuer names: the one configured,
// with the port the listener actually got when port 0 was asked for.
func listenAddr(configured string, actual net.Addr) string {
	host, port, err := net.SplitHostPort(configured)
	if err != nil || port != "0" {
		return configured
	}
	if tcp, ok := actual.(*net.TCPAddr); ok {
		return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	}
	return configured
}

// reloadKeys re-reads the signing keys every keyReloadInterval until ctx ends.
func reloadKeys(ctx context.Context, keys *oauth.KeySet, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = keyReloadInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := keys.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reload signing keys", slog.Any("error", err))
			}
		}
	}
}
