package oauth

import (
	"bytes"
	"testing"
)

func TestSecretsSealOpen(t *testing.T) {
	t.Parallel()
	if _, err := NewSecrets(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte master secret was accepted")
	}
	s, err := NewSecrets(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("private"), []byte("kid1"))
	if bytes.Contains(sealed, []byte("private")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := s.Open(sealed, []byte("kid1"))
	if err != nil || string(got) != "private" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, []byte("kid2")); err == nil {
		t.Fatal("Open with another aad succeeded")
	}
	other, _ := NewSecrets(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, []byte("kid1")); err == nil {
		t.Fatal("Open with another master secret succeeded")
	}
	h1, b1 := s.CookieKeys()
	if bytes.Equal(h1, b1) {
		t.Fatal("cookie hash and block keys are equal")
	}
}
