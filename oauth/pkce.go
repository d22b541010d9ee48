package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE (RFC 7636) with S256 only: OAuth 2.1 §4.1.1 and RFC 9700 §2.1.1 (LX-1).

const (
	// PKCEMethodS256 is the only accepted code_challenge_method.
	PKCEMethodS256 = "S256"
	pkceMinLen     = 43
	pkceMaxLen     = 128
)

// validPKCEString reports whether s is 43–128 characters of the unreserved
// set [A-Za-z0-9-._~] (RFC 7636 §4.1 for the verifier; a S256 challenge is
// 43 base64url characters, which the same rule admits).
func validPKCEString(s string) bool {
	if len(s) < pkceMinLen || len(s) > pkceMaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// validS256Challenge checks the shape of an S256 challenge: the unpadded
// base64url encoding of a SHA-256 digest is exactly 43 characters.
func validS256Challenge(challenge string) bool {
	if len(challenge) != 43 {
		return false
	}
	// Go's base64 decoder skips CR and LF, so check the alphabet first
	// (RFC 7636 §4.2: base64url without padding), then the canonical form.
	for i := 0; i < len(challenge); i++ {
		c := challenge[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(challenge)
	return err == nil
}

// S256Challenge computes BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// verifyPKCE checks the verifier against the stored S256 challenge in
// constant time (RFC 7636 §4.6).
func verifyPKCE(challenge, verifier string) bool {
	if !validPKCEString(verifier) {
		return false
	}
	got := S256Challenge(verifier)
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
