package oauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fuzzECKey is a fixed P-256 key: fuzz workers are separate processes and
// must agree on the key the seed tokens were signed with.
func fuzzECKey(tb testing.TB, n byte) *ecdsa.PrivateKey {
	tb.Helper()
	d := bytes.Repeat([]byte{n}, 32)
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		tb.Fatalf("fixed key: %v", err)
	}
	return k
}

// fuzzPublicJWK is key's public JWK as JSON.
func fuzzPublicJWK(tb testing.TB, key crypto.Signer, kid string) string {
	tb.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: key.Public(), KeyID: kid, Use: "sig"})
	if err != nil {
		tb.Fatalf("marshal jwk: %v", err)
	}
	return string(b)
}

// fuzzSign signs claims as a compact JWS with the given header extras.
func fuzzSign(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, typ jose.ContentType, claims any) string {
	tb.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(typ)
	}
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		tb.Fatalf("signer: %v", err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return tok
}

// fuzzB64 encodes b as unpadded base64url.
func fuzzB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// splitJWS decodes the three parts of a compact JWS and its header's alg.
func splitJWS(raw string) (dec [3][]byte, alg string, ok bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return dec, "", false
	}
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return dec, "", false
		}
		dec[i] = b
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(dec[0], &h) != nil {
		return dec, "", false
	}
	return dec, h.Alg, true
}

// verifyES256 checks a compact JWS's signature with pub, written apart from
// go-jose: the header must say ES256 and the signature must be r||s over
// the (re-encoded) header and payload bytes. It returns the payload.
func verifyES256(raw string, pub *ecdsa.PublicKey) ([]byte, bool) {
	dec, alg, ok := splitJWS(raw)
	if !ok || alg != "ES256" || len(dec[2]) != 64 {
		return nil, false
	}
	sum := sha256.Sum256([]byte(fuzzB64(dec[0]) + "." + fuzzB64(dec[1])))
	r, s := new(big.Int).SetBytes(dec[2][:32]), new(big.Int).SetBytes(dec[2][32:])
	return dec[1], ecdsa.Verify(pub, sum[:], r, s)
}

// FuzzParseAccessToken: an access token is accepted only when the test
// key signed it (checked without go-jose), it is an at+jwt for this
// issuer, unexpired, and the claims returned are the ones signed; the
// audience must then match byte for byte (RFC 9068 §4).
func FuzzParseAccessToken(f *testing.F) {
	const issuer, kid = "https://lk.example", "kid1"
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	key, other := fuzzECKey(f, 1), fuzzECKey(f, 2)
	ks := &KeySet{clock: func() time.Time { return now }, public: map[string]*jose.JSONWebKey{kid: {Key: &key.PublicKey, KeyID: kid, Algorithm: AlgES256}}}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType(AccessTokenType))
	if err != nil {
		f.Fatal(err)
	}
	ks.signer, ks.active = signer, kid

	claims := &AccessClaims{Issuer: issuer, Subject: "u1", Audience: issuer + "/mcp/files", ClientID: "c", Scope: "files:read",
		IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)), Expiry: jwt.NewNumericDate(now.Add(10 * time.Minute)), ID: "j1", GrantID: "g1"}
	good, err := ks.Sign(claims)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	parts := strings.Split(good, ".")
	f.Add(parts[0] + "." + parts[1] + ".")                                                      // no signature
	f.Add(fuzzB64([]byte(`{"alg":"none","typ":"at+jwt","kid":"kid1"}`)) + "." + parts[1] + ".") // alg none
	f.Add(parts[0] + "\n." + parts[1] + "." + parts[2])                                         // a newline Go's base64 skips
	f.Add(good + "." + parts[2])
	f.Add(fuzzSign(f, jose.ES256, other, kid, AccessTokenType, claims)) // another key, the same kid
	f.Add(fuzzSign(f, jose.ES256, key, kid, "JWT", claims))             // not an at+jwt
	f.Add(fuzzSign(f, jose.ES256, key, "kid2", AccessTokenType, claims))
	f.Add(fuzzSign(f, jose.ES384, fuzzP384(f), kid, AccessTokenType, claims))
	expired := *claims
	expired.Expiry = jwt.NewNumericDate(now)
	f.Add(fuzzSign(f, jose.ES256, key, kid, AccessTokenType, &expired))
	foreign := *claims
	foreign.Issuer = "https://evil.example"
	f.Add(fuzzSign(f, jose.ES256, key, kid, AccessTokenType, &foreign))
	// Algorithm confusion: HS256 keyed with the public key's encoding.
	pubJSON := fuzzPublicJWK(f, key, kid)
	hs := fuzzB64([]byte(`{"alg":"HS256","typ":"at+jwt","kid":"kid1"}`)) + "." + parts[1]
	mac := hmac.New(sha256.New, []byte(pubJSON))
	mac.Write([]byte(hs))
	f.Add(hs + "." + fuzzB64(mac.Sum(nil)))
	f.Add(`{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`)

	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ks.ParseAccessToken(raw, issuer, now)
		if err != nil {
			return
		}
		payload, ok := verifyES256(raw, &key.PublicKey)
		if !ok {
			t.Fatalf("accepted %q, which the key did not sign", raw)
		}
		var signed AccessClaims
		if err := json.Unmarshal(payload, &signed); err != nil {
			t.Fatalf("accepted %q with a payload that is not claims: %v", raw, err)
		}
		if a, b := mustJSON(t, c), mustJSON(t, &signed); a != b {
			t.Fatalf("claims returned %s, signed %s", a, b)
		}
		if c.Issuer != issuer || c.Expiry == nil || !now.Before(c.Expiry.Time()) {
			t.Fatalf("accepted iss %q exp %v", c.Issuer, c.Expiry)
		}
		if _, err := ks.VerifyAccessToken(raw, issuer, c.Audience, now); err != nil {
			t.Fatalf("parsed but VerifyAccessToken for its own audience refused: %v", err)
		}
		if _, err := ks.VerifyAccessToken(raw, issuer, c.Audience+"/", now); err == nil {
			t.Fatalf("accepted for audience %q+\"/\"", c.Audience)
		}
		if _, err := ks.ParseAccessToken(raw, issuer+"/", now); err == nil {
			t.Fatalf("accepted for issuer %q", issuer+"/")
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fuzzP384 is a fixed P-384 key (an algorithm the access tokens never use).
func fuzzP384(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P384(), bytes.Repeat([]byte{7}, 48))
	if err != nil {
		tb.Fatalf("fixed key: %v", err)
	}
	return k
}
