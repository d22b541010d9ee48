package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// Prefixes make Latchkey's secrets recognisable to secret scanners and people.
const (
	PrefixClientSecret = "lksec_"
	PrefixRefreshToken = "lkrt_"
	PrefixCode         = "lkac_"
)

// RandomString returns n random bytes, base64url-encoded without padding.
func RandomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSecret returns a 256-bit random secret carrying prefix.
func NewSecret(prefix string) string { return prefix + RandomString(32) }

// HashSecret is the at-rest form of a high-entropy secret (codes, refresh
// tokens, client secrets): hex SHA-256. These secrets carry 256 random bits,
// so a fast hash is enough; passwords use argon2id instead.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares secret against a stored hash in constant time.
func SecretMatches(secret, hash string) bool {
	if hash == "" {
		return false
	}
	got := HashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}
