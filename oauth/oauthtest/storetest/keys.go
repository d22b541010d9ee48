package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testSigningKeys(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys empty", err)
	if len(got) != 0 {
		t.Fatalf("ListSigningKeys on an empty store: got %d keys, want 0", len(got))
	}

	old := newSigningKey("k-old", base())
	cur := newSigningKey("k-cur", base().Add(time.Hour))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, cur))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, old))
	wantErr(t, "CreateSigningKey duplicate", s.CreateSigningKey(ctx, newSigningKey("k-old", base())), oauth.ErrConflict)

	retired, notAfter := base().Add(2*time.Hour), base().Add(26*time.Hour)
	must(t, "RetireSigningKey", s.RetireSigningKey(ctx, "k-old", retired, notAfter))
	// Retiring again changes nothing and is not an error.
	must(t, "RetireSigningKey again", s.RetireSigningKey(ctx, "k-old", retired.Add(time.Hour), notAfter.Add(time.Hour)))
	wantErr(t, "RetireSigningKey unknown", s.RetireSigningKey(ctx, "missing", retired, notAfter), oauth.ErrNotFound)

	wantOld := *old
	wantOld.RetiredAt, wantOld.NotAfter = &retired, &notAfter
	got, err = s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	wantEqual(t, "signing keys", got, []*oauth.SigningKey{&wantOld, cur})
}
