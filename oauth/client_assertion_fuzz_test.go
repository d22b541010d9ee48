package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// assertionStore is the part of a Store authenticateAssertion uses: one
// private_key_jwt client, one public client, and the used jtis. Any other
// method panics (the embedded Store is nil), which the fuzzer reports.
type assertionStore struct {
	Store
	clients map[string]*Client
	used    map[string]bool
}

func (s *assertionStore) GetClient(_ context.Context, id string) (*Client, error) {
	if c, ok := s.clients[id]; ok {
		cp := *c
		return &cp, nil
	}
	return nil, ErrNotFound
}

func (s *assertionStore) UseAssertion(_ context.Context, clientID, jti string, _ time.Time) error {
	if s.used[clientID+"\x00"+jti] {
		return ErrAlreadyUsed
	}
	s.used[clientID+"\x00"+jti] = true
	return nil
}

// verifyAssertionSig checks a compact JWS with the client's keys without
// go-jose: ES256 (r||s over SHA-256) or EdDSA (Ed25519).
func verifyAssertionSig(raw string, ec *ecdsa.PublicKey, ed ed25519.PublicKey) ([]byte, bool) {
	if p, ok := verifyES256(raw, ec); ok {
		return p, true
	}
	dec, alg, ok := splitJWS(raw)
	if !ok || alg != "EdDSA" {
		return nil, false
	}
	return dec[1], ed25519.Verify(ed, []byte(fuzzB64(dec[0])+"."+fuzzB64(dec[1])), dec[2])
}

// FuzzAuthenticateAssertion: a private_key_jwt assertion (RFC 7523 §3)
// authenticates only when one of the client's keys signed it (checked
// without go-jose), iss = sub = the client, aud names this server, exp is
// near and not past, jti is set; the same assertion never works twice;
// every refusal is invalid_client or invalid_request.
func FuzzAuthenticateAssertion(f *testing.F) {
	const issuer, id = "https://lk.example", "lkc_jwt"
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ec := fuzzECKey(f, 4)
	ed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	jwks := `{"keys":[` + fuzzPublicJWK(f, ec, "ec1") + `,` + fuzzPublicJWK(f, ed, "ed1") + `]}`
	clients := map[string]*Client{
		id:           {ID: id, Name: "J", TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKS: jwks, GrantTypes: []string{GrantAuthorizationCode}},
		"lkc_public": {ID: "lkc_public", Name: "P", TokenEndpointAuthMethod: AuthNone, GrantTypes: []string{GrantAuthorizationCode}},
		"lkc_off":    {ID: "lkc_off", Name: "D", TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKS: jwks, Disabled: true},
	}
	claims := func(mod func(*jwt.Claims)) *jwt.Claims {
		c := &jwt.Claims{Issuer: id, Subject: id, Audience: jwt.Audience{issuer + "/token"}, ID: "jti-1",
			Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now)}
		if mod != nil {
			mod(c)
		}
		return c
	}
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "JWT", claims(nil)), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "", "", claims(nil)), id)
	f.Add(fuzzSign(f, jose.EdDSA, ed, "ed1", "", claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{issuer} })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ed1", "", claims(nil)), "") // kid of the other key
	f.Add(fuzzSign(f, jose.ES256, fuzzECKey(f, 5), "ec1", "", claims(nil)), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Subject = "lkc_public" })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Issuer, c.Subject = "lkc_public", "lkc_public" })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Issuer, c.Subject = "lkc_off", "lkc_off" })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://evil.example/token"} })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(time.Hour)) })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.Expiry = nil })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.ID = "" })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) })), "")
	f.Add(fuzzSign(f, jose.ES256, ec, "ec1", "", claims(nil)), "lkc_other")
	f.Add(fuzzB64([]byte(`{"alg":"none"}`))+"."+fuzzB64(mustClaimsJSON(f, claims(nil)))+".", "")
	f.Add(fuzzB64([]byte(`{"alg":"HS256"}`))+"."+fuzzB64(mustClaimsJSON(f, claims(nil)))+".AAAA", "")

	f.Fuzz(func(t *testing.T, assertion, formID string) {
		store := &assertionStore{clients: clients, used: map[string]bool{}}
		p := &Provider{cfg: Config{Issuer: issuer, ClientMetadata: ClientMetadataOff}, store: store,
			clock: func() time.Time { return now }, log: slog.New(slog.DiscardHandler), cimd: newCIMDCache(), jwks: newCIMDCache()}
		ctx := context.Background()
		c, err := p.authenticateAssertion(ctx, assertion, formID)
		if err != nil {
			if e := AsError(err); e.Code != CodeInvalidClient && e.Code != CodeInvalidRequest {
				t.Fatalf("refused with %q (%v), want invalid_client or invalid_request", e.Code, err)
			}
			return
		}
		if c.ID != id || c.Disabled || c.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
			t.Fatalf("authenticated client %q (disabled %v, method %q)", c.ID, c.Disabled, c.TokenEndpointAuthMethod)
		}
		payload, ok := verifyAssertionSig(assertion, &ec.PublicKey, ed.Public().(ed25519.PublicKey))
		if !ok {
			t.Fatalf("accepted %q, which none of the client's keys signed", assertion)
		}
		var got jwt.Claims
		if err := json.Unmarshal(payload, &got); err != nil {
			t.Fatalf("accepted a payload that is not claims: %v", err)
		}
		aud := []string{issuer + "/token", issuer, issuer + "/"}
		switch {
		case got.Issuer != id || got.Subject != id:
			t.Fatalf("accepted iss %q sub %q", got.Issuer, got.Subject)
		case formID != "" && formID != id:
			t.Fatalf("accepted with body client_id %q", formID)
		case !slices.ContainsFunc(aud, got.Audience.Contains):
			t.Fatalf("accepted aud %q", got.Audience)
		case got.Expiry == nil || got.Expiry.Time().After(now.Add(maxAssertionLifetime)) || !now.Before(got.Expiry.Time().Add(assertionSkew)):
			t.Fatalf("accepted exp %v at %v", got.Expiry, now)
		case got.ID == "":
			t.Fatal("accepted without a jti")
		}
		if _, err := p.authenticateAssertion(ctx, assertion, formID); err == nil {
			t.Fatal("the same assertion authenticated twice")
		}
	})
}

func mustClaimsJSON(tb testing.TB, c *jwt.Claims) []byte {
	tb.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
