package oauth

import (
	"sync"
	"time"
)

// RateLimiter is a token bucket per key (client IP), bounded in size: when
// full, idle buckets are dropped. It is per replica; with N replicas an
// address gets at most N times the rate.
type RateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRateLimiter allows perMinute events per key, burst at once, tracking at
// most max keys.
func NewRateLimiter(perMinute, burst, max int) *RateLimiter {
	return &RateLimiter{rate: float64(perMinute) / 60, burst: float64(burst), max: max, buckets: map[string]*bucket{}}
}

// Allow takes a token for key, or reports how long until one is free.
func (l *RateLimiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			// Full buckets are indistinguishable from new ones: drop those
			// first; if every bucket is busy, drop one at random.
			refill := time.Duration(l.burst / l.rate * float64(time.Second))
			for k, old := range l.buckets {
				if now.Sub(old.last) > refill {
					delete(l.buckets, k)
				}
			}
			for k := range l.buckets {
				if len(l.buckets) < l.max {
					break
				}
				delete(l.buckets, k)
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
