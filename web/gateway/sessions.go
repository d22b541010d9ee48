package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey/oauth"
)

// sessionBinder binds an upstream MCP-Session-Id to the user who created it
// (RS-13..15, TR-10): the same id presented with another user's token is
// refused before it reaches the upstream. Keys are route + session id.
//
// The database holds the bindings (so every replica enforces them); this
// bounded in-memory map is a cache in front of it, oldest dropped first.
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

// sessionOwner returns who owns a session: the cache, else the database.
// known is false for an id no user created through this gateway.
func (g *Gateway) sessionOwner(ctx context.Context, route, id string) (owner string, known bool, err error) {
	if u, ok := g.sessions.ownerOf(route, id); ok {
		return u, true, nil
	}
	u, err := g.store.SessionOwner(ctx, route, oauth.HashSecret(id))
	if errors.Is(err, oauth.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	g.sessions.bind(route, id, u)
	return u, true, nil
}

// bindSession records a new upstream session for user, refusing an id that
// is already another user's.
func (g *Gateway) bindSession(ctx context.Context, route, id, user string) error {
	err := g.store.BindSession(ctx, route, oauth.HashSecret(id), user, g.clock())
	if errors.Is(err, oauth.ErrConflict) {
		owner, _, oerr := g.sessionOwner(ctx, route, id)
		if oerr != nil {
			return oerr
		}
		if owner != user {
			return fmt.Errorf("gateway: upstream reused session of another user")
		}
	} else if err != nil {
		return err
	}
	g.sessions.bind(route, id, user)
	return nil
}

// endSession forgets a session the client deleted.
func (g *Gateway) endSession(ctx context.Context, route, id string) {
	g.sessions.unbind(route, id)
	if err := g.store.DeleteSession(ctx, route, oauth.HashSecret(id)); err != nil {
		g.log.WarnContext(ctx, "gateway: forget session", "error", err)
	}
}
