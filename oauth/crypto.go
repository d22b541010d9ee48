package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinMasterSecretLen is the shortest master secret accepted (256 bits).
const MinMasterSecretLen = 32

// Secrets holds the keys derived from the master secret: the at-rest AEAD
// and the cookie keys. Derivation is HKDF-SHA256 with a distinct label each.
type Secrets struct {
	aead        cipher.AEAD
	cookieHash  []byte
	cookieBlock []byte
}

// NewSecrets derives every key from master.
func NewSecrets(master []byte) (*Secrets, error) {
	if len(master) < MinMasterSecretLen {
		return nil, fmt.Errorf("oauth: master secret is %d bytes, need at least %d", len(master), MinMasterSecretLen)
	}
	derive := func(label string, n int) ([]byte, error) {
		return hkdf.Key(sha256.New, master, nil, "latchkey "+label, n)
	}
	encKey, err := derive("at-rest encryption v1", 32)
	if err != nil {
		return nil, fmt.Errorf("oauth: derive key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("oauth: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("oauth: gcm: %w", err)
	}
	s := &Secrets{aead: aead}
	if s.cookieHash, err = derive("cookie hmac v1", 32); err != nil {
		return nil, fmt.Errorf("oauth: derive key: %w", err)
	}
	if s.cookieBlock, err = derive("cookie aes v1", 32); err != nil {
		return nil, fmt.Errorf("oauth: derive key: %w", err)
	}
	return s, nil
}

// CookieKeys returns the HMAC and AES keys for session cookies.
func (s *Secrets) CookieKeys() (hashKey, blockKey []byte) { return s.cookieHash, s.cookieBlock }

// Seal encrypts plaintext bound to aad (AES-256-GCM, random nonce prepended).
func (s *Secrets) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal produced with the same aad.
func (s *Secrets) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("oauth: sealed value too short")
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("oauth: open sealed value: %w", err)
	}
	return pt, nil
}
