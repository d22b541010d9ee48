package gateway

import "sync"

// sessionBinder binds an upstream MCP-Session-Id to the user who created it
// (RS-13..15, TR-10): the same id presented with another user's token is
// refused before it reaches the upstream. Keys are route + session id.
//
// This slice keeps bindings in memory (bounded, oldest dropped first), so a
// session is only usable on the replica that created it; the database-backed
// binding for several replicas is still to come.
type sessionBinder struct {
	mu    sync.Mutex
	max   int
	owner map[string]string
	order []string
}

func newSessionBinder(max int) *sessionBinder {
	return &sessionBinder{max: max, owner: map[string]string{}}
}

func sessionKey(route, id string) string { return route + "\x00" + id }

// bind records the owner of a new session.
func (b *sessionBinder) bind(route, id, user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := sessionKey(route, id)
	if _, ok := b.owner[k]; !ok {
		b.order = append(b.order, k)
	}
	b.owner[k] = user
	for len(b.order) > b.max {
		delete(b.owner, b.order[0])
		b.order = b.order[1:]
	}
}

// owner returns the user bound to a session and whether it is known.
func (b *sessionBinder) ownerOf(route, id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.owner[sessionKey(route, id)]
	return u, ok
}

// unbind forgets an ended session.
func (b *sessionBinder) unbind(route, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.owner, sessionKey(route, id))
}
