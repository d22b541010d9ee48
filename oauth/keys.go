package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// AlgES256 is the default (and, for now, only) signing algorithm.
const AlgES256 = "ES256"

// KeySet signs access tokens with the newest unretired key and verifies with
// every key still inside its verification window. Private keys are stored
// sealed with the master secret. It is safe for concurrent use.
type KeySet struct {
	store   KeyStore
	secrets *Secrets
	clock   func() time.Time
	keep    time.Duration // how long a retired key keeps verifying

	// lastMissReload rate-limits reloads triggered by unknown kids.
	missMu         sync.Mutex
	lastMissReload time.Time

	mu     sync.RWMutex
	signer jose.Signer
	active string
	public map[string]*jose.JSONWebKey
	keys   []*SigningKey
}

// NewKeySet loads the keys, generating the first one when there is none.
// keep is how long a rotated-out key stays in the JWKS: at least the access
// token lifetime, so every token it signed can still be verified.
func NewKeySet(ctx context.Context, store KeyStore, secrets *Secrets, clock func() time.Time, keep time.Duration) (*KeySet, error) {
	ks := &KeySet{store: store, secrets: secrets, clock: clock, keep: keep}
	if err := ks.Reload(ctx); err != nil {
		return nil, err
	}
	if ks.signer == nil {
		if _, err := ks.create(ctx); err != nil {
			return nil, err
		}
		if err := ks.Reload(ctx); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// Reload re-reads the keys from the store, picking up a rotation made by
// another process (the CLI or another replica).
func (ks *KeySet) Reload(ctx context.Context) error {
	all, err := ks.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("oauth: list signing keys: %w", err)
	}
	now := ks.clock()
	public := make(map[string]*jose.JSONWebKey, len(all))
	var newest *SigningKey
	for _, k := range all {
		if k.NotAfter != nil && !now.Before(*k.NotAfter) {
			continue // past its verification window: leaves the JWKS
		}
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
			return fmt.Errorf("oauth: parse public key %s: %w", k.ID, err)
		}
		public[k.ID] = &jwk
		if k.RetiredAt == nil && (newest == nil || k.CreatedAt.After(newest.CreatedAt) ||
			(k.CreatedAt.Equal(newest.CreatedAt) && k.ID > newest.ID)) {
			newest = k
		}
	}
	var signer jose.Signer
	if newest != nil {
		if ks.active == newest.ID && ks.signer != nil {
			signer = ks.signer
		} else if signer, err = ks.newSigner(newest); err != nil {
			return err
		}
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.public, ks.keys, ks.signer = public, all, signer
	if newest != nil {
		ks.active = newest.ID
	}
	return nil
}

// unknownKidReloadEvery bounds reloads caused by tokens with unknown kids
// (a rotation on another replica, or garbage).
const unknownKidReloadEvery = 2 * time.Second

// reloadForUnknownKid reloads the keys unless that was done recently, and
// reports whether it did.
func (ks *KeySet) reloadForUnknownKid() bool {
	if ks.store == nil {
		return false
	}
	ks.missMu.Lock()
	defer ks.missMu.Unlock()
	now := time.Now() // wall time on purpose: a rate limit, never a token decision
	if now.Sub(ks.lastMissReload) < unknownKidReloadEvery {
		return false
	}
	ks.lastMissReload = now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return ks.Reload(ctx) == nil
}

func (ks *KeySet) newSigner(k *SigningKey) (jose.Signer, error) {
	der, err := ks.secrets.Open(k.PrivateEnc, []byte("signing-key:"+k.ID))
	if err != nil {
		return nil, fmt.Errorf("oauth: unseal signing key %s: %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oauth: parse signing key %s: %w", k.ID, err)
	}
	opts := (&jose.SignerOptions{}).WithType(AccessTokenType)
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm},
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("oauth: signer for %s: %w", k.ID, err)
	}
	return signer, nil
}

// create generates and stores a new ES256 key.
func (ks *KeySet) create(ctx context.Context) (*SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("oauth: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("oauth: marshal key: %w", err)
	}
	kid := RandomString(12)
	pub := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: AlgES256, Use: "sig"}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return nil, fmt.Errorf("oauth: marshal public key: %w", err)
	}
	k := &SigningKey{
		ID: kid, Algorithm: AlgES256, PublicJWK: pubJSON, CreatedAt: ks.clock().UTC(),
		PrivateEnc: ks.secrets.Seal(der, []byte("signing-key:"+kid)),
	}
	if err := ks.store.CreateSigningKey(ctx, k); err != nil {
		return nil, fmt.Errorf("oauth: store signing key: %w", err)
	}
	return k, nil
}

// Rotate makes a new key active and retires the others; a retired key keeps
// verifying for keep, then leaves the JWKS.
func (ks *KeySet) Rotate(ctx context.Context) (*SigningKey, error) {
	if err := ks.Reload(ctx); err != nil {
		return nil, err
	}
	k, err := ks.create(ctx)
	if err != nil {
		return nil, err
	}
	now := ks.clock().UTC()
	for _, old := range ks.Keys() {
		if old.RetiredAt != nil || old.ID == k.ID {
			continue
		}
		if err := ks.store.RetireSigningKey(ctx, old.ID, now, now.Add(ks.keep)); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("oauth: retire key %s: %w", old.ID, err)
		}
	}
	return k, ks.Reload(ctx)
}

// Keys returns the stored keys as last loaded, oldest first.
func (ks *KeySet) Keys() []*SigningKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	out := append([]*SigningKey(nil), ks.keys...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// ActiveKeyID is the kid new tokens are signed with.
func (ks *KeySet) ActiveKeyID() string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.active
}

// JWKS is the public key set served at /jwks.json.
func (ks *KeySet) JWKS() jose.JSONWebKeySet {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(ks.public))}
	for _, k := range ks.public {
		set.Keys = append(set.Keys, *k)
	}
	sort.Slice(set.Keys, func(i, j int) bool { return set.Keys[i].KeyID < set.Keys[j].KeyID })
	return set
}

func (ks *KeySet) signerAndKey(kid string) (jose.Signer, *jose.JSONWebKey) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	if kid == "" {
		return ks.signer, nil
	}
	return nil, ks.public[kid]
}

// Key statuses, as operators see them.
const (
	KeyActive   = "active"   // signs new tokens
	KeyRetired  = "retired"  // no longer signs; still verifies until NotAfter
	KeyExpired  = "expired"  // left the JWKS
	KeyInactive = "inactive" // neither signs nor is retired (another key is newer)
)

// KeyStatus says what a key does now, given the active key's ID.
func KeyStatus(k *SigningKey, activeID string, now time.Time) string {
	switch {
	case k.NotAfter != nil && !now.Before(*k.NotAfter):
		return KeyExpired
	case k.ID == activeID:
		return KeyActive
	case k.RetiredAt != nil:
		return KeyRetired
	}
	return KeyInactive
}
