package oauth

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzRegistrationBody: a registration body (RFC 7591 §2) is decoded only
// as application/json and refused as invalid_client_metadata (or
// invalid_request); metadata that passes validation has a supported auth
// method, keys only with private_key_jwt, served grant and response
// types, redirect URIs that pass the policy, and clean display fields.
func FuzzRegistrationBody(f *testing.F) {
	jwk := fuzzPublicJWK(f, fuzzECKey(f, 3), "k1")
	for _, b := range []string{
		`{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"App","token_endpoint_auth_method":"none"}`,
		`{"redirect_uris":["https://app.example/cb"],"client_name":"Web","grant_types":["authorization_code","refresh_token","client_credentials"]}`,
		`{"redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/callback"],"client_name":"Cursor","token_endpoint_auth_method":"none"}`,
		`{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[` + jwk + `]}}`,
		`{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none","jwks_uri":"https://app.example/jwks"}`,
		`{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"oct","k":"AAAA"}]}}`,
		`{"redirect_uris":["https://app.example/cb"],"client_name":"  Trusted\u202e ppA  "}`,
		`{"redirect_uris":["https://app.example/cb"],"client_uri":"javascript:alert(1)"}`,
		`{"redirect_uris":["https://app.example/cb"],"logo_uri":"https://u@app.example/l.png"}`,
		`{"redirect_uris":["https://app.example/cb"],"contacts":["a\u0000b"]}`,
		`{"redirect_uris":["https://app.example/cb"],"application_type":"service"}`,
		`{"redirect_uris":[],"response_types":["token"]}`,
		`{"redirect_uris":"https://app.example/cb"}`, `{"Redirect_URIs":["https://app.example/cb"]}`, `[]`, `null`, ``,
	} {
		f.Add("application/json", []byte(b), false)
		f.Add("application/json; charset=utf-8", []byte(b), true)
	}
	f.Add("text/plain", []byte(`{}`), false)
	f.Fuzz(func(t *testing.T, contentType string, body []byte, strict bool) {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/register"},
			Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
		var md ClientMetadata
		if err := decodeRegistrationBody(r, &md); err != nil {
			if e := AsError(err); e.Code != CodeInvalidClientMetadata && e.Code != CodeInvalidRequest {
				t.Fatalf("decode refused with %q, want invalid_client_metadata", e.Code)
			}
			return
		}
		p := &Provider{cfg: Config{StrictRedirects: strict}}
		if err := p.validateMetadata(&md); err != nil {
			if e := AsError(err); e.Code != CodeInvalidClientMetadata && e.Code != CodeInvalidRedirectURI {
				t.Fatalf("validate refused with %q, want invalid_client_metadata or invalid_redirect_uri", e.Code)
			}
			return
		}
		switch md.TokenEndpointAuthMethod {
		case AuthNone, AuthClientSecretBasic, AuthClientSecretPost:
			if md.JWKS != nil || md.JWKSURI != "" {
				t.Fatalf("%s with keys", md.TokenEndpointAuthMethod)
			}
		case AuthPrivateKeyJWT:
			if (md.JWKS == nil) == (md.JWKSURI == "") {
				t.Fatal("private_key_jwt without exactly one of jwks and jwks_uri")
			}
		default:
			t.Fatalf("auth method %q accepted", md.TokenEndpointAuthMethod)
		}
		if !slices.Contains(md.GrantTypes, GrantAuthorizationCode) || !slices.Equal(md.ResponseTypes, []string{"code"}) {
			t.Fatalf("grant types %q, response types %q", md.GrantTypes, md.ResponseTypes)
		}
		for _, g := range md.GrantTypes {
			if g != GrantAuthorizationCode && g != GrantRefreshToken {
				t.Fatalf("grant type %q kept", g)
			}
		}
		if n := len(md.RedirectURIs); n == 0 || n > maxRedirectURIs {
			t.Fatalf("%d redirect URIs", n)
		}
		for _, u := range md.RedirectURIs {
			if e := CheckRedirectURI(u, strict); e != nil {
				t.Fatalf("redirect URI %q accepted: %v", u, e)
			}
		}
		if md.ClientName != strings.TrimSpace(md.ClientName) || !CleanText(md.ClientName, maxClientNameLen) {
			t.Fatalf("client name %q", md.ClientName)
		}
		for _, v := range []string{md.ClientURI, md.LogoURI, md.TOSURI, md.PolicyURI, md.JWKSURI} {
			if v == "" {
				continue
			}
			if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
				t.Fatalf("URL field %q accepted", v)
			}
		}
		if _, err := clientJWKS(&md); err != nil {
			t.Fatalf("jwks accepted but does not parse: %v", err)
		}
	})
}

// FuzzCleanText: accepted text is valid UTF-8 of at most max runes with
// no control character (Unicode Cc), no bidirectional control (the
// Unicode Bidi_Control property, from the standard library's tables, not
// CleanText's list) and none of the listed zero-width characters.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{
		"Claude", "VS Code", "Trusted App\u202e", "a\u2066b", "a\u200bb", "\ufeffApp", "a\u00adb", "a\u061cb",
		"a\x85b", "a\x7fb", "a\tb", "\xff", "日本語", "a\u180eb", "a\u2028b", "a\U000e0041b", "a\u2061b",
	} {
		f.Add(s, uint8(200))
	}
	f.Add("abc", uint8(2))
	f.Fuzz(func(t *testing.T, s string, max uint8) {
		if !CleanText(s, int(max)) {
			return
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > int(max) {
			t.Fatalf("%q accepted: invalid UTF-8 or longer than %d", s, max)
		}
		for _, r := range s {
			switch {
			case unicode.Is(unicode.Cc, r):
				t.Fatalf("%q accepted with control character %U", s, r)
			case unicode.Is(unicode.Bidi_Control, r):
				t.Fatalf("%q accepted with bidirectional control %U", s, r)
			case unicode.Is(unicode.Join_Control, r), r == 0x200b, r == 0x2060, r == 0xfeff, r == 0x180e, r == 0xad:
				t.Fatalf("%q accepted with zero-width character %U", s, r)
			}
		}
	})
}
