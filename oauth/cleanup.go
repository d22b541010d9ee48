package oauth

import (
	"context"
	"errors"
	"time"
)

// DefaultUnusedClientTTL is how long a dynamically registered client that
// never completed a flow is kept.
const DefaultUnusedClientTTL = 24 * time.Hour

// Retention of state past its expiry.
const (
	// CodeReplayWindow keeps redeemed codes past expiry so a late replay
	// still revokes what the code issued.
	CodeReplayWindow = 10 * time.Minute
	// RevokedGrantRetention keeps revoked grants visible to operators.
	RevokedGrantRetention = 30 * 24 * time.Hour
	// GatewaySessionRetention bounds how long a session binding is kept.
	GatewaySessionRetention = 30 * 24 * time.Hour
)

// Purged counts rows one DeleteExpired pass removed.
type Purged struct {
	AuthRequests, Codes, RefreshTokens, Grants, Revocations, Assertions, Sessions int
}

// CleanupReport counts what one clean-up pass deleted.
type CleanupReport struct {
	Purged
	UnusedClients int
}

// Cleanup deletes expired state. Every statement is an idempotent
// conditional DELETE, so every replica may run it at the same time.
func (p *Provider) Cleanup(ctx context.Context) (CleanupReport, error) {
	now := p.now()
	var r CleanupReport
	var errs []error
	var err error
	for _, src := range []string{SourceDCR, SourceCIMD} {
		// Metadata-document rows are remembered at first sight; one that
		// never got a token is forgotten (it is fetched again if it returns).
		n, err := p.store.DeleteUnusedClients(ctx, src, now.Add(-p.cfg.UnusedClientTTL))
		r.UnusedClients += n
		errs = append(errs, err)
	}
	r.Purged, err = p.store.DeleteExpired(ctx, now)
	errs = append(errs, err)
	return r, errors.Join(errs...)
}
