package oauth

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// nqchar reports RFC 6749 §3.3's scope-token characters (%x21 / %x23-5B / %x5D-7E).
func nqchar(c byte) bool { return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) }

// FuzzGrantScopes: parseScope accepts exactly the RFC 6749 §3.3 grammar
// (spaces forgiven) and fails only with invalid_scope; grantScopes never
// grants a scope outside the route's ∪ offline_access, grants a step-up
// scope only when asked for it, and accounts for every asked scope.
func FuzzGrantScopes(f *testing.F) {
	for _, s := range []string{
		"", "files:read", "files:read files:write", "files:delete", "offline_access", "openid profile email",
		"files:read  files:read ", "files:read\tfiles:write", `a"b`, `a\b`, "é", "files:read offline_access x:y",
		"\x00", " ", "a\x7f", "files:write files:read",
	} {
		f.Add(s, "files:read files:write files:delete", "files:delete")
		f.Add(s, "", "")
	}
	f.Add("x x x", "x offline_access", "offline_access")
	f.Fuzz(func(t *testing.T, raw, routeScopes, stepUp string) {
		if len(raw) > 2*maxScopeParam || len(routeScopes) > 2048 || len(stepUp) > 2048 {
			// Keep the harness linear; an over-long parameter only needs refusing.
			if _, err := parseScope(raw); len(raw) > maxScopeParam && AsError(err).Code != CodeInvalidScope {
				t.Fatalf("parseScope of %d bytes: %v, want invalid_scope", len(raw), err)
			}
			return
		}
		wantValid := len(raw) <= maxScopeParam
		var wantTokens []string
		for _, tok := range strings.Split(raw, " ") {
			for i := 0; i < len(tok); i++ {
				if !nqchar(tok[i]) {
					wantValid = false
				}
			}
			if tok != "" && !slices.Contains(wantTokens, tok) {
				wantTokens = append(wantTokens, tok)
			}
		}
		requested, err := parseScope(raw)
		if (err == nil) != wantValid {
			t.Fatalf("parseScope(%.60q): err %v, want valid=%v", raw, err, wantValid)
		}
		if err != nil {
			if e := AsError(err); e.Code != CodeInvalidScope {
				t.Fatalf("parseScope(%.60q): code %q, want invalid_scope", raw, e.Code)
			}
		} else if !slices.Equal(requested, wantTokens) {
			t.Fatalf("parseScope(%.60q) = %q, want %q", raw, requested, wantTokens)
		}

		// A route as the console stores it: distinct valid scope-tokens.
		route := &Route{Name: "r"}
		for _, s := range strings.Fields(routeScopes) {
			if ok, _ := parseScope(s); len(ok) == 1 && !slices.Contains(route.Scopes, s) {
				route.Scopes = append(route.Scopes, s)
			}
		}
		var elevated []string
		for _, s := range strings.Fields(stepUp) {
			if slices.Contains(route.Scopes, s) {
				elevated = append(elevated, s)
			}
		}
		if len(elevated) > 0 {
			route.StepUp = []StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: elevated}}
		}

		granted, ignored, err := grantScopes(raw, route)
		if err != nil {
			if e := AsError(err); e.Code != CodeInvalidScope || wantValid {
				t.Fatalf("grantScopes(%.60q): %v, want only invalid_scope for an invalid parameter", raw, err)
			}
			return
		}
		for _, s := range granted {
			if !slices.Contains(route.Scopes, s) && s != ScopeOfflineAccess {
				t.Fatalf("grantScopes(%.60q) granted %q, outside %q ∪ offline_access", raw, s, route.Scopes)
			}
			if slices.Contains(elevated, s) && !slices.Contains(requested, s) {
				t.Fatalf("grantScopes(%.60q) granted step-up scope %q that was not asked for", raw, s)
			}
			if slices.Contains(ignored, s) {
				t.Fatalf("grantScopes(%.60q): %q both granted and ignored", raw, s)
			}
		}
		if len(slices.Compact(sortedCopy(granted))) != len(granted) {
			t.Fatalf("grantScopes(%.60q) granted duplicates: %q", raw, granted)
		}
		for _, s := range requested {
			if !slices.Contains(granted, s) && !slices.Contains(ignored, s) {
				t.Fatalf("grantScopes(%.60q): asked scope %q neither granted nor ignored", raw, s)
			}
			if slices.Contains(ignored, s) && (slices.Contains(route.Scopes, s) || s == ScopeOfflineAccess) {
				t.Fatalf("grantScopes(%.60q): offered scope %q was ignored", raw, s)
			}
		}
	})
}

func sortedCopy(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// b64url reports the base64url alphabet (RFC 4648 §5), no padding.
func b64url(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// FuzzPKCE: the verifier rule is RFC 7636 §4.1's grammar exactly; an
// accepted S256 challenge is 43 base64url characters (§4.2); a verifier
// is accepted against a challenge only when it is valid and the challenge
// is its S256 transform.
func FuzzPKCE(f *testing.F) {
	v := strings.Repeat("a", 43)
	f.Add(v, S256Challenge(v))
	f.Add("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	f.Add(strings.Repeat("~", 128), S256Challenge(strings.Repeat("~", 128)))
	f.Add(strings.Repeat("x", 129), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	f.Add(strings.Repeat("x", 42), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN")
	f.Add(v+" ", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=")
	f.Add(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM")
	f.Fuzz(func(t *testing.T, verifier, challenge string) {
		want := len(verifier) >= 43 && len(verifier) <= 128
		for i := 0; i < len(verifier); i++ {
			if c := verifier[i]; !b64url(c) && c != '.' && c != '~' {
				want = false
			}
		}
		if got := validPKCEString(verifier); got != want {
			t.Fatalf("validPKCEString(%q) = %v, want %v", verifier, got, want)
		}
		if validS256Challenge(challenge) {
			for i := 0; i < len(challenge); i++ {
				if !b64url(challenge[i]) {
					t.Fatalf("validS256Challenge(%q) accepted byte %#x, outside base64url", challenge, challenge[i])
				}
			}
			if b, err := base64.RawURLEncoding.Strict().DecodeString(challenge); err != nil || len(b) != 32 {
				t.Logf("validS256Challenge(%q): not the canonical encoding of 32 bytes (%v); no verifier can match it", challenge, err)
			}
		}
		if !validS256Challenge(S256Challenge(verifier)) {
			t.Fatalf("S256Challenge(%q) = %q is not a valid challenge", verifier, S256Challenge(verifier))
		}
		if got := verifyPKCE(S256Challenge(verifier), verifier); got != want {
			t.Fatalf("verifyPKCE(S256(%q)) = %v, want %v", verifier, got, want)
		}
		if verifyPKCE(challenge, verifier) && challenge != S256Challenge(verifier) {
			t.Fatalf("verifyPKCE(%q, %q) accepted a challenge that is not the verifier's", challenge, verifier)
		}
	})
}
