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

func (c *tokenCache) put(key [32]byte, aud string, claims *oauth.AccessClaims, user *oauth.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
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

// evictGrant drops every cached token of a grant (on revocation).
func (c *tokenCache) evictGrant(grantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.claims.GrantID == grantID {
			delete(c.m, k)
		}
	}
}
