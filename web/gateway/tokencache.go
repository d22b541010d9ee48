package gateway

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// tokenCache remembers verified access tokens by the SHA-256 of the token
// (never the token itself) until they expire, so the common request skips
// the ~0.1 ms ES256 verification and the grant lookup. Bounded: when full,
// expired entries are dropped, then arbitrary ones.
type tokenCache struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte]cachedToken
	// gen counts evictions. A verification that started before an eviction
	// may have read a grant just before its revocation: put refuses it.
	gen uint64
}

type cachedToken struct {
	claims *oauth.AccessClaims
	user   *oauth.User
	aud    string
	exp    time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, m: make(map[[32]byte]cachedToken)}
}

func tokenKey(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }

// get returns the claims of a token verified for aud that has not expired.
func (c *tokenCache) get(key [32]byte, aud string, now time.Time) (*oauth.AccessClaims, *oauth.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.aud != aud {
		return nil, nil
	}
	if !now.Before(e.exp) {
		delete(c.m, key)
		return nil, nil
	}
	return e.claims, e.user
}

// generation is read before a verification's database reads.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches a verified token unless an eviction happened since gen.
func (c *tokenCache) put(key [32]byte, aud string, claims *oauth.AccessClaims, user *oauth.User, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = cachedToken{claims: claims, user: user, aud: aud, exp: claims.Expiry.Time()}
}

// size is the number of cached tokens.
func (c *tokenCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// evictAll drops every cached token; they are verified again on next use.
func (c *tokenCache) evictAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// evict drops every cached token a revocation entry concerns.
func (c *tokenCache) evict(r *oauth.Revocation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if revokes(r, e.claims) {
			delete(c.m, k)
		}
	}
}

// revokes reports whether entry r applies to a token with these claims.
func revokes(r *oauth.Revocation, c *oauth.AccessClaims) bool {
	switch r.Kind {
	case oauth.RevokedGrant:
		return c.GrantID == r.Ref
	case oauth.RevokedToken:
		return c.ID == r.Ref
	case oauth.RevokedUser:
		return c.Subject == r.Ref
	case oauth.RevokedClient:
		return c.ClientID == r.Ref
	}
	return true // an unknown kind: be safe, drop everything
}
