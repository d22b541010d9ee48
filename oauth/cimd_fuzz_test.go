package oauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzParseClientDocument: an accepted metadata document describes the
// client at the URL it came from (ID = URL byte for byte, AS-7), every
// redirect URI passes the registration policy, the grant types are a
// subset of {authorization_code, refresh_token} with the code grant, and
// the client cannot hold a shared secret.
func FuzzParseClientDocument(f *testing.F) {
	const id = "https://app.example/oauth/client.json"
	jwk := fuzzPublicJWK(f, fuzzECKey(f, 3), "k1")
	for _, doc := range []string{
		`{"client_id":"` + id + `","client_name":"App","redirect_uris":["http://127.0.0.1/cb","https://app.example/cb"]}`,
		`{"client_id":"` + id + `","client_name":"VS Code","redirect_uris":["http://127.0.0.1:33418/","https://vscode.dev/redirect"],"grant_types":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code"],"response_types":["code"],"token_endpoint_auth_method":"none"}`,
		`{"client_id":"` + id + `","client_name":"Cursor","redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/callback"]}`,
		`{"client_id":"` + id + `","client_name":"K","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[` + jwk + `]}}`,
		`{"client_id":"` + id + `","client_name":"K","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://app.example/jwks.json"}`,
		`{"client_id":"` + id + `","client_name":"S","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}`,
		`{"client_id":"` + id + `/","client_name":"App","redirect_uris":["https://app.example/cb"]}`,
		`{"client_id":"` + id + `","CLIENT_ID":"https://evil.example/x","client_name":"App","redirect_uris":["https://app.example/cb"]}`,
		`{"client_id":"` + id + `","client_name":"App\u202e","redirect_uris":["https://app.example/cb"]}`,
		`{"client_id":"` + id + `","client_name":" ","redirect_uris":["javascript:alert(1)"]}`,
		`{"client_id":"` + id + `","client_name":"App","redirect_uris":["https://app.example/cb"],"grant_types":["refresh_token"]}`,
		`{"client_id":"` + id + `","client_name":"App","redirect_uris":["https://app.example/cb"],"logo_uri":"http://app.example/l.png"}`,
		`{"client_id":"` + id + `","client_name":"App","redirect_uris":["https://app.example/cb"]} {}`,
		`{"client_id":"` + id + `","client_name":"App","redirect_uris":"https://app.example/cb"}`,
		"\ufeff{}", `[]`, ``,
	} {
		f.Add(id, []byte(doc), false)
		f.Add(id, []byte(doc), true)
	}
	f.Fuzz(func(t *testing.T, id string, body []byte, strict bool) {
		c, err := ParseClientDocument(id, body, strict)
		if err != nil {
			return
		}
		switch {
		case c.ID != id:
			t.Fatalf("client ID %q, fetched from %q", c.ID, id)
		case c.Source != SourceCIMD, c.SecretHash != "":
			t.Fatalf("source %q, secret hash %q", c.Source, c.SecretHash)
		case c.Name == "" || c.Name != strings.TrimSpace(c.Name) || !CleanText(c.Name, maxClientNameLen):
			t.Fatalf("client name %q", c.Name)
		case len(c.RedirectURIs) == 0 || len(c.RedirectURIs) > maxRedirectURIs:
			t.Fatalf("%d redirect URIs", len(c.RedirectURIs))
		case !slices.Contains(c.GrantTypes, GrantAuthorizationCode) || !slices.Equal(c.ResponseTypes, []string{"code"}):
			t.Fatalf("grant types %q, response types %q", c.GrantTypes, c.ResponseTypes)
		}
		for _, u := range c.RedirectURIs {
			if e := CheckRedirectURI(u, strict); e != nil {
				t.Fatalf("redirect URI %q accepted: %v", u, e)
			}
		}
		for i, g := range c.GrantTypes {
			if (g != GrantAuthorizationCode && g != GrantRefreshToken) || slices.Index(c.GrantTypes, g) != i {
				t.Fatalf("grant types %q", c.GrantTypes)
			}
		}
		switch c.TokenEndpointAuthMethod {
		case AuthNone:
			if c.JWKS != "" || c.JWKSURI != "" {
				t.Fatalf("public client with keys: jwks %q, jwks_uri %q", c.JWKS, c.JWKSURI)
			}
		case AuthPrivateKeyJWT:
			if (c.JWKS == "") == (c.JWKSURI == "") {
				t.Fatalf("private_key_jwt with jwks %q and jwks_uri %q", c.JWKS, c.JWKSURI)
			}
			if c.JWKS != "" {
				if _, err := parseClientKeys([]byte(c.JWKS)); err != nil {
					t.Fatalf("stored jwks %q does not parse: %v", c.JWKS, err)
				}
			}
		default:
			t.Fatalf("token_endpoint_auth_method %q", c.TokenEndpointAuthMethod)
		}
		for _, v := range []string{c.ClientURI, c.LogoURI, c.JWKSURI} {
			if v == "" {
				continue
			}
			if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
				t.Fatalf("URL field %q accepted", v)
			}
		}
	})
}

// FuzzCheckClientIDURL: a URL client_id is accepted only as an https URL
// with a domain-name host, a path other than "/", and no userinfo,
// fragment or dot segment, even percent-encoded (AS-7).
func FuzzCheckClientIDURL(f *testing.F) {
	for _, s := range []string{
		"https://app.example/oauth/client.json", "https://app.example", "https://app.example/", "http://app.example/x",
		"HTTPS://APP.example/x", "https://u:p@app.example/x", "https://app.example/x#f", "https://app.example/a/../x",
		"https://app.example/a/%2E%2e/x", "https://app.example/a/.%2E/x", "https://app.example/a/%252e%252e/x",
		"https://127.0.0.1/x", "https://[::1]/x", "https://2130706433/x", "https://0x7f.1/x", "https://app.example:0/x",
		"https://app.example:65536/x", "https:app.example/x", "https://app.example./x", "https://app.example/%2e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		u, err := CheckClientIDURL(id)
		if err != nil {
			return
		}
		if !IsURLClientID(id) {
			t.Fatalf("%q accepted but IsURLClientID is false", id)
		}
		switch {
		case u.Scheme != "https", u.Hostname() == "", u.User != nil, strings.Contains(id, "#"):
			t.Fatalf("%q accepted: scheme %q, host %q, userinfo %v", id, u.Scheme, u.Hostname(), u.User)
		case u.Path == "" || u.Path == "/":
			t.Fatalf("%q accepted without a path", id)
		case IsLoopbackHost(u.Hostname()) || numericHost(u.Hostname()) || strings.HasPrefix(u.Host, "["):
			t.Fatalf("%q accepted with IP host %q", id, u.Hostname())
		}
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			if d, err := url.PathUnescape(seg); err == nil && (d == "." || d == "..") {
				t.Fatalf("%q accepted with dot segment %q", id, seg)
			}
		}
	})
}
