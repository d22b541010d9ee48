// Package metrics counts events per route and hour in memory and adds them
// to the database's aggregated counters now and then, so the console's
// charts read a few hundred rows instead of scanning tokens or logs.
package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// Store is where counts end up.
type Store interface {
	AddMetrics(ctx context.Context, counts []oauth.MetricCount) error
}

// DefaultFlushInterval spaces writes to the database.
const DefaultFlushInterval = 10 * time.Second

type key struct {
	bucket time.Time
	route  string
	metric string
}

// Recorder aggregates counts until the next flush. It is safe for
// concurrent use; Add costs a map update under a mutex.
type Recorder struct {
	store Store
	clock func() time.Time
	log   *slog.Logger

	mu     sync.Mutex
	counts map[key]int64
	totals map[Series]int64 // since the process started, for /metrics
}

// Series names one cumulative counter.
type Series struct{ Route, Metric string }

// New returns a recorder writing to store.
func New(store Store, clock func() time.Time, log *slog.Logger) *Recorder {
	return &Recorder{store: store, clock: clock, log: log, counts: map[key]int64{}, totals: map[Series]int64{}}
}

// Add counts n events of metric on route in the current hour.
func (r *Recorder) Add(route, metric string, n int64) {
	if r == nil {
		return
	}
	k := key{bucket: r.clock().UTC().Truncate(time.Hour), route: route, metric: metric}
	r.mu.Lock()
	r.counts[k] += n
	r.totals[Series{route, metric}] += n
	r.mu.Unlock()
}

// Totals returns every counter since the process started.
func (r *Recorder) Totals() map[Series]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Series]int64, len(r.totals))
	for k, v := range r.totals {
		out[k] = v
	}
	return out
}

// Flush writes what was counted since the last flush; on failure the counts
// are kept for the next attempt.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.counts
	r.counts = map[key]int64{}
	r.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	rows := make([]oauth.MetricCount, 0, len(pending))
	for k, n := range pending {
		rows = append(rows, oauth.MetricCount{Bucket: k.bucket, Route: k.route, Metric: k.metric, Count: n})
	}
	if err := r.store.AddMetrics(ctx, rows); err != nil {
		r.mu.Lock()
		for k, n := range pending {
			r.counts[k] += n
		}
		r.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (r *Recorder) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultFlushInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := r.Flush(fctx); err != nil {
				r.log.Warn("metrics: final flush", "error", err)
			}
			return
		case <-t.C:
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
				r.log.WarnContext(ctx, "metrics: flush", "error", err)
			}
		}
	}
}
