package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/migrations"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/web"
)

// adminEnv is what an admin command works on: the migrated database and,
// only when asked for, the master secret and the signing keys.
type adminEnv struct {
	p     *program
	store oauth.Store
	keys  *oauth.KeySet
}

// openDB opens the database named by --db and applies pending migrations.
func (p *program) openDB(ctx context.Context) (*bun.DB, error) {
	bdb, err := db.Open(ctx, p.opts.dsn, p.log)
	if err != nil {
		return nil, err
	}
	if err := migrations.Migrate(ctx, bdb); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return bdb, nil
}

// withStore runs fn on an opened, migrated database and closes it after.
func (p *program) withStore(c *cli.Context, fn func(ctx context.Context, env *adminEnv) error) (err error) {
	ctx := c.Context
	bdb, err := p.openDB(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := bdb.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
		}
	}()
	return fn(ctx, &adminEnv{p: p, store: db.New(bdb)})
}

// keySet loads the signing keys (creating the first one on a new database),
// which needs the master secret. keep is how long a key retired by a
// rotation keeps verifying.
func (e *adminEnv) keySet(ctx context.Context, keep time.Duration) (*oauth.KeySet, error) {
	if e.keys != nil {
		return e.keys, nil
	}
	secrets, err := e.p.secrets()
	if err != nil {
		return nil, err
	}
	ks, err := oauth.NewKeySet(ctx, e.store, secrets, time.Now, keep)
	if err != nil {
		return nil, fmt.Errorf("load signing keys (is the master secret the one the server uses?): %w", err)
	}
	e.keys = ks
	return ks, nil
}

// issuer is --issuer, or what serve derives from its listen address:
// LATCHKEY_ADDR or the default address.
func (p *program) issuer() string {
	if p.opts.issuer != "" {
		return p.opts.issuer
	}
	addr := p.getenv("LATCHKEY_ADDR")
	if addr == "" {
		addr = web.DefaultAddr
	}
	return issuerForAddr(addr)
}

// issuerForAddr is the default issuer for a listen address.
func issuerForAddr(addr string) string { return "http://" + addr }

// audit records an admin action made with the CLI, as "cli:<OS user>".
// A failure to record is reported on stderr and does not undo the action.
func (e *adminEnv) audit(ctx context.Context, action, target, detail string) {
	actor := "cli"
	if u := e.p.getenv("USER"); u != "" {
		actor = "cli:" + u
	}
	ev := &oauth.AuditEvent{At: time.Now().UTC(), Actor: actor, Action: action, Target: target, Detail: detail, IP: "local"}
	if err := e.store.RecordAudit(ctx, ev); err != nil {
		e.p.log.Warn("audit: record event", "action", action, "error", err)
	}
}
