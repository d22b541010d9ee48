package gateway

import (
	"context"
	"sync"

	"github.com/latchkey/latchkey/oauth"
)

// streamRegistry knows every proxied request in flight with the claims of
// its token, so a revocation ends the long-lived ones (SSE streams) too,
// instead of letting them run until the client hangs up.
type streamRegistry struct {
	mu   sync.Mutex
	next uint64
	m    map[uint64]liveStream
}

type liveStream struct {
	claims *oauth.AccessClaims
	cancel context.CancelFunc
}

func newStreamRegistry() *streamRegistry { return &streamRegistry{m: map[uint64]liveStream{}} }

// track registers a request; the returned func forgets it.
func (s *streamRegistry) track(c *oauth.AccessClaims, cancel context.CancelFunc) func() {
	s.mu.Lock()
	s.next++
	id := s.next
	s.m[id] = liveStream{claims: c, cancel: cancel}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.m, id)
		s.mu.Unlock()
	}
}

// cancel ends every request a revocation entry concerns; it reports how many.
func (s *streamRegistry) cancel(r *oauth.Revocation) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, l := range s.m {
		if revokes(r, l.claims) {
			l.cancel()
			delete(s.m, id)
			n++
		}
	}
	return n
}
