package gateway

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRevocationPoll is how often each replica reads the revocation log.
// A token revoked on any replica is refused by every replica's gateway
// within about this interval plus one query (measured in docs/gateway.md).
const DefaultRevocationPoll = 500 * time.Millisecond

// revocationGapWait is how long a hole in the seq numbers is re-read: on
// Postgres a transaction that took seq n may commit after one that took
// n+1, so the poller reads from the oldest hole for a while.
const revocationGapWait = 30 * time.Second

// revocationFollower tracks how far this replica has read the log.
type revocationFollower struct {
	max     int64               // highest seq applied
	gaps    map[int64]time.Time // seqs below max not seen yet, with when noticed
	started bool                // the first read is done (holes before it are history)
}

// maxTrackedGap bounds the holes one jump may open (deleted history, not
// in-flight transactions, makes bigger ones).
const maxTrackedGap = 1000

// WatchRevocations follows the revocation log until ctx ends, evicting
// revoked tokens from the verified-token cache. It is the only thing that
// lets a cached token be refused before its exp, so every replica runs it.
func (g *Gateway) WatchRevocations(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultRevocationPoll
	}
	f := &revocationFollower{gaps: map[int64]time.Time{}}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := g.pollRevocations(ctx, f); err != nil && ctx.Err() == nil {
			g.log.WarnContext(ctx, "gateway: read revocation log", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pollRevocations applies every entry not applied yet.
func (g *Gateway) pollRevocations(ctx context.Context, f *revocationFollower) error {
	now := g.clock()
	from := f.max
	for seq, seen := range f.gaps {
		if now.Sub(seen) > revocationGapWait {
			// A rolled-back insert, or a transaction slower than the wait:
			// if it was a revocation, it is unseen, so drop every cached
			// token rather than risk honouring it (they are re-verified).
			delete(f.gaps, seq)
			g.tokens.evictAll()
		} else if seq-1 < from {
			from = seq - 1
		}
	}
	for {
		batch, err := g.store.ListRevocations(ctx, from, now, 1000)
		if err != nil {
			return err
		}
		for _, r := range batch {
			_, wasGap := f.gaps[r.Seq]
			if r.Seq > f.max || wasGap {
				g.tokens.evict(r)
				if n := g.streams.cancel(r); n > 0 {
					g.log.InfoContext(ctx, "gateway: revocation ended open requests", slog.String("kind", string(r.Kind)), slog.Int("requests", n))
				}
			}
			delete(f.gaps, r.Seq)
			switch {
			case !f.started:
			case r.Seq-f.max <= maxTrackedGap:
				for s := f.max + 1; s < r.Seq; s++ {
					f.gaps[s] = now
				}
			default:
				g.tokens.evictAll() // too many holes to follow: start clean
			}
			f.max = max(f.max, r.Seq)
			from = r.Seq
		}
		if len(batch) < 1000 {
			f.started = true
			return nil
		}
	}
}
