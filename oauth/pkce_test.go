package oauth

import (
	"strings"
	"testing"
)

func TestPKCE(t *testing.T) {
	t.Parallel()
	// RFC 7636 Appendix B test vector.
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := S256Challenge(verifier); got != challenge {
		t.Fatalf("S256Challenge = %q, want %q", got, challenge)
	}
	if !verifyPKCE(challenge, verifier) {
		t.Error("matching verifier refused")
	}
	if verifyPKCE(challenge, verifier[:42]+"x") {
		t.Error("wrong verifier accepted")
	}
	if verifyPKCE(challenge, challenge) {
		t.Error("the challenge itself accepted as a verifier (plain method)")
	}
	short := strings.Repeat("a", 42)
	if validPKCEString(short) || validPKCEString(strings.Repeat("a", 129)) || validPKCEString(strings.Repeat("a", 42)+"!") {
		t.Error("verifier length or charset rule not enforced")
	}
	if !validS256Challenge(challenge) || validS256Challenge(challenge+"A") || validS256Challenge(strings.Repeat("+", 43)) {
		t.Error("challenge shape rule not enforced")
	}
}
