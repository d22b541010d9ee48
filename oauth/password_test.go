package oauth

import (
	"context"
	"strings"
	"testing"
)

func TestHasher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, 2)
	phc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", phc)
	}
	if ok, err := h.Verify(ctx, "correct horse", phc); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v; want true", ok, err)
	}
	if ok, _ := h.Verify(ctx, "wrong", phc); ok {
		t.Fatal("Verify(wrong) = true")
	}
	if ok, _ := h.Verify(ctx, "latchkey-timing-equaliser", ""); ok {
		t.Fatal("an unknown user's dummy hash verified")
	}
	if _, err := h.Verify(ctx, "x", "$bcrypt$whatever"); err == nil {
		t.Fatal("a foreign hash format was accepted")
	}
}
