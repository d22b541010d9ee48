package oauth

import (
	"context"
	"errors"
	"time"
)

// DefaultUnusedClientTTL is how long a dynamically registered client that
// never completed a flow is kept.
const DefaultUnusedClientTTL = 24 * time.Hour

// CleanupReport counts what one clean-up pass deleted.
type CleanupReport struct {
	UnusedClients int
	Assertions    int
	Revocations   int
}

// Cleanup deletes expired state. Every statement is an idempotent
// conditional DELETE, so every replica may run it at the same time.
func (p *Provider) Cleanup(ctx context.Context) (CleanupReport, error) {
	now := p.now()
	var r CleanupReport
	var errs []error
	var err error
	r.UnusedClients, err = p.store.DeleteUnusedClients(ctx, SourceDCR, now.Add(-p.cfg.UnusedClientTTL))
	errs = append(errs, err)
	r.Assertions, err = p.store.DeleteExpiredAssertions(ctx, now)
	errs = append(errs, err)
	r.Revocations, err = p.store.DeleteExpiredRevocations(ctx, now)
	errs = append(errs, err)
	return r, errors.Join(errs...)
}
