package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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

// Metric names of the clean-up's counters (route ""), exposed on /metrics
// as latchkey_clients_reaped_total{kind="unused"|"idle"}.
const (
	MetricClientsReapedUnused = "clients_reaped_unused"
	MetricClientsReapedIdle   = "clients_reaped_idle"
)

// AuditClientReap is the audit action of a clean-up pass that deleted
// stale registrations; one event per pass, with the counts.
const AuditClientReap = "client.reap"

// Purged counts rows one DeleteExpired pass removed.
type Purged struct {
	AuthRequests, Codes, RefreshTokens, Grants, Revocations, Assertions, Sessions int
}

// CleanupReport counts what one clean-up pass deleted.
type CleanupReport struct {
	Purged
	// UnusedClients never completed a flow within UnusedClientTTL;
	// IdleClients got tokens, but none within IdleClientTTL, and held no
	// live grant.
	UnusedClients, IdleClients int
}

// Cleanup deletes expired state and stale registrations. Every statement is
// an idempotent conditional DELETE, so every replica may run it at the same
// time; each counts only the rows it deleted itself.
func (p *Provider) Cleanup(ctx context.Context) (CleanupReport, error) {
	now := p.now()
	var r CleanupReport
	var errs []error
	for _, src := range []string{SourceDCR, SourceCIMD} {
		// Metadata-document rows are remembered at first sight; one that
		// never got a token is forgotten (it is fetched again if it returns).
		n, err := p.store.DeleteUnusedClients(ctx, src, now.Add(-p.cfg.UnusedClientTTL))
		r.UnusedClients += n
		errs = append(errs, err)
	}
	if p.cfg.IdleClientTTL > 0 {
		// Only registrations: an operator's clients stay until removed, and
		// a used metadata-document client is kept as today.
		n, err := p.store.DeleteIdleClients(ctx, now.Add(-p.cfg.IdleClientTTL), now)
		r.IdleClients = n
		errs = append(errs, err)
	}
	p.recordReap(ctx, r, now)
	var err error
	r.Purged, err = p.store.DeleteExpired(ctx, now)
	errs = append(errs, err)
	return r, errors.Join(errs...)
}

// recordReap counts reaped clients and writes one audit event per pass
// that deleted any; a failure to record is logged only.
func (p *Provider) recordReap(ctx context.Context, r CleanupReport, now time.Time) {
	if r.UnusedClients == 0 && r.IdleClients == 0 {
		return
	}
	p.metrics.Add("", MetricClientsReapedUnused, int64(r.UnusedClients))
	p.metrics.Add("", MetricClientsReapedIdle, int64(r.IdleClients))
	e := &AuditEvent{At: now, Actor: "(clean-up)", Action: AuditClientReap,
		Detail: fmt.Sprintf("unused=%d idle=%d", r.UnusedClients, r.IdleClients)}
	if err := p.store.RecordAudit(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "audit: record event", "action", AuditClientReap, "error", err)
	}
}
