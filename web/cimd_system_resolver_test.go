package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/oauth"
)

// TestMetadataDocumentsThroughSystemResolver is the production path of
// client ID metadata documents (AS-6, AS-15, LX-8): the real `latchkey
// serve --demo` binary, with the two test switches set as a developer
// would, fetches documents from https://localhost:PORT — resolved by the
// system resolver from /etc/hosts (which Go answers as ::ffff:127.0.0.1),
// answered by a TLS server on 127.0.0.1 under the test CA. A `none` client
// and a `private_key_jwt` client whose jwks_uri is on the same host go
// authorize → login → consent → token → tools/call through the gateway to
// the demo upstream, and refresh. No resolver, dialer or clock is injected.
func TestMetadataDocumentsThroughSystemResolver(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d := newDocServerAt(t, "localhost")
	if !strings.HasPrefix(d.Base, "https://localhost:") {
		t.Fatalf("document server base %s", d.Base)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "sys-1", Use: "sig", Algorithm: "ES256"}}})
	d.mu.Lock()
	d.docs["/jwks.json"] = string(jwks)
	d.mu.Unlock()
	public := d.put("/oauth/public.json", map[string]any{"client_name": "Public Doc Client", "redirect_uris": []string{cb},
		"token_endpoint_auth_method": "none"})
	keyed := d.put("/oauth/keyed.json", map[string]any{"client_name": "Keyed Doc Client", "redirect_uris": []string{cb},
		"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256", "jwks_uri": d.Base + "/jwks.json"})

	bin, err := latchkeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	in := &installation{t: t, bin: bin, dsn: "sqlite:" + filepath.Join(t.TempDir(), "sys.db"), secret: strings.Repeat("s", 40), data: t.TempDir(),
		env: []string{oauth.EnvInsecureLoopbackFetch + "=1", oauth.EnvFetchCAFile + "=" + d.CAFile}}
	addr := freeAddr(t)
	p := in.serve(addr, "http://"+addr, "--demo")
	password := demoPassword(t, p)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("latchkey serve output:\n%s", p.logs.String())
		}
	})
	e := &env{t: t, issuer: p.base, user: &oauth.User{Username: "demo"}, password: password}
	tokenURL := e.issuer + "/token"

	for _, c := range []struct {
		id, name string
		auth     func(url.Values)
	}{
		{public, "Public Doc Client", func(url.Values) {}},
		{keyed, "Keyed Doc Client", func(f url.Values) {
			f.Set("client_assertion_type", oauth.AssertionTypeJWTBearer)
			f.Set("client_assertion", signAssertion(t, key, "sys-1", keyed, tokenURL, "j-"+oauth.RandomString(8), time.Now().Add(time.Minute)))
		}},
	} {
		code, verifier := e.codeFlow(c.id, cb, "demo", "")
		if !strings.Contains(e.lastConsentPage, `data-testid="metadata-host">`+strings.TrimPrefix(d.Base, "https://")+`<`) {
			t.Errorf("%s: consent page does not name the document host", c.name)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}, "client_id": {c.id}}
		c.auth(form)
		resp, tok := e.token(form, "", "")
		if resp.StatusCode != http.StatusOK || tok["access_token"] == nil {
			t.Fatalf("%s: code exchange: %d %v", c.name, resp.StatusCode, tok)
		}
		callEcho(t, ctx, oauth.ResourceURL(e.issuer, "demo"), tok["access_token"].(string))
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {c.id}}
		c.auth(refresh)
		if resp, body := e.token(refresh, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: refresh: %d %v", c.name, resp.StatusCode, body)
		}
	}
	for _, path := range []string{"/oauth/public.json", "/oauth/keyed.json", "/jwks.json"} {
		if d.hitsOf(path) == 0 {
			t.Errorf("%s was never fetched", path)
		}
	}
	out := in.cli("", "clients", "list")
	for _, id := range []string{public, keyed} {
		if !strings.Contains(out, id) {
			t.Errorf("clients list lacks %s:\n%s", id, out)
		}
	}
	if strings.Contains(p.logs.String(), "not public") {
		t.Errorf("the server refused an address as not public:\n%s", p.logs.String())
	}
}
