package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/oauth/oauthtest/tlstest"
)

// docHost is the metadata documents' host name for tests of the document
// rules; the env maps it to loopback with an injected resolver, which only
// the test switch lets the fetcher reach. Tests of the production path
// serve documents at localhost instead (newDocServerAt), resolved by the
// system resolver through /etc/hosts.
const docHost = "client.localtest.example"

// docServer serves client metadata documents (and JWK sets) over TLS on
// loopback and counts requests per path.
type docServer struct {
	*tlstest.Server
	mu    sync.Mutex
	docs  map[string]string
	cache map[string]string // Cache-Control per path
	hits  sync.Map          // path → *atomic.Int64
	host  string
}

func newDocServer(t *testing.T) *docServer { return newDocServerAt(t, docHost) }

// newDocServerAt serves the documents under https://host:PORT.
func newDocServerAt(t *testing.T, host string) *docServer {
	d := &docServer{docs: map[string]string{}, cache: map[string]string{}, host: host}
	d.Server = tlstest.New(t, host, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := d.hits.LoadOrStore(r.URL.Path, &atomic.Int64{})
		n.(*atomic.Int64).Add(1)
		d.mu.Lock()
		doc, ok := d.docs[r.URL.Path]
		cc := d.cache[r.URL.Path]
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(doc))
	}))
	return d
}

// put publishes a document at path; the client_id is the document's URL.
func (d *docServer) put(path string, fields map[string]any) string {
	id := d.Base + path
	doc := map[string]any{"client_id": id}
	for k, v := range fields {
		doc[k] = v
	}
	b, _ := json.Marshal(doc)
	d.mu.Lock()
	d.docs[path] = string(b)
	d.mu.Unlock()
	return id
}

func (d *docServer) hitsOf(path string) int64 {
	n, ok := d.hits.Load(path)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// cimdEnv is a Latchkey that may fetch documents from d, through the two
// test switches exactly as a developer would set them. Documents at
// localhost go through the system resolver; only docHost is injected.
func cimdEnv(t *testing.T, d *docServer) *env {
	var hosts map[string]string
	if d.host == docHost {
		hosts = map[string]string{docHost: "127.0.0.1"}
	}
	return newEnv(t, dbtest.SQLite(t), envOpts{
		fetchEnv:   map[string]string{oauth.EnvInsecureLoopbackFetch: "1", oauth.EnvFetchCAFile: d.CAFile},
		fetchHosts: hosts,
	})
}

// TestMetadataDocumentClientFlow (AS-5..AS-10, AS-13): a client whose
// client_id is its document's URL completes login, consent, code exchange
// and refresh; the consent page names the document's host and warns about
// a loopback redirect; the client is listed with source cimd.
func TestMetadataDocumentClientFlow(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	id := d.put("/oauth/client.json", map[string]any{"client_name": "Doc Client", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"})

	code, verifier := e.codeFlow(id, cb, "notes", "")
	page := e.lastConsentPage
	host := strings.TrimPrefix(d.Base, "https://")
	if !strings.Contains(page, `data-testid="metadata-host">`+host+`<`) || !strings.Contains(page, `data-testid="loopback-warning"`) {
		t.Fatalf("consent page lacks the document host %s or the loopback warning:\n%s", host, page)
	}
	resp, tok := e.exchange(id, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	resp, tok = e.refresh(id, tok["refresh_token"].(string))
	wantStatus(t, resp, http.StatusOK)
	c, err := e.store.GetClient(context.Background(), id)
	if err != nil || c.Source != oauth.SourceCIMD || c.Name != "Doc Client" || c.LastUsedAt == nil {
		t.Fatalf("stored client = %+v, %v", c, err)
	}
	if n := d.hitsOf("/oauth/client.json"); n != 1 {
		t.Errorf("the document was fetched %d times for one flow, want 1 (cached)", n)
	}
	_ = tok

	// A redirect URI the document does not list is refused without a redirect (AS-9).
	ap := e.authParams(id, "http://127.0.0.1:50000/other", "notes", "")
	resp = e.get(e.browser(), "/authorize?"+ap.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("unlisted redirect_uri: %d %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()
}

// TestMetadataDocumentFailures: an unusable document is a clear error page
// at authorize and invalid_client at the token endpoint, without internals.
func TestMetadataDocumentFailures(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	mismatch := d.put("/mismatch.json", map[string]any{"client_name": "X", "redirect_uris": []string{cb}})
	d.mu.Lock()
	d.docs["/mismatch.json"] = strings.Replace(d.docs["/mismatch.json"], "mismatch.json", "other.json", 1)
	d.mu.Unlock()
	cases := []struct{ name, id, want string }{
		{"missing document", d.Base + "/missing.json", "HTTP 404"},
		{"client_id mismatch", mismatch, "not exactly the URL"},
		{"http URL", "http://" + docHost + "/c.json", "must use https"},
		{"private address", "https://10.0.0.1/c.json", "domain name"},
		{"unresolvable host", "https://nowhere.invalid/c.json", "does not resolve"},
	}
	for _, c := range cases {
		ap := e.authParams(c.id, cb, "notes", "")
		resp := e.get(e.browser(), "/authorize?"+ap.Encode())
		page := body(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, c.want) {
			t.Errorf("%s: authorize %d, want a 400 page saying %q:\n%s", c.name, resp.StatusCode, c.want, page)
		}
		resp, tok := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {cb},
			"code_verifier": {"v"}, "client_id": {c.id}}, "", "")
		if resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" {
			t.Errorf("%s: token %d %v, want invalid_client", c.name, resp.StatusCode, tok)
		}
	}
}

// TestMetadataDocumentTrustPolicy (AS-14): any / allowlist / off, and a
// host the policy refuses is never fetched.
func TestMetadataDocumentTrustPolicy(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	id := d.put("/c.json", map[string]any{"client_name": "Trusted?", "redirect_uris": []string{cb}})
	ctx := context.Background()
	cases := []struct {
		mode    string
		domains []string
		allowed bool
	}{
		{oauth.TrustAny, nil, true},
		{oauth.TrustAllowlist, nil, false},
		{oauth.TrustAllowlist, []string{"other.example"}, false},
		{oauth.TrustAllowlist, []string{"localtest.example"}, false}, // the parent is not the host
		{oauth.TrustAllowlist, []string{"*.example"}, false},         // one label only
		{oauth.TrustAllowlist, []string{"*.localtest.example"}, true},
		{oauth.TrustAllowlist, []string{docHost}, true},
		{oauth.TrustOff, []string{docHost}, false},
	}
	for _, c := range cases {
		for _, old := range must1(e.store.ListTrustedDomains(ctx)) {
			if err := e.store.RemoveTrustedDomain(ctx, old); err != nil {
				t.Fatal(err)
			}
		}
		for _, dom := range c.domains {
			if err := e.store.AddTrustedDomain(ctx, dom, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if err := oauth.SetTrustMode(ctx, e.store, c.mode, time.Now()); err != nil {
			t.Fatal(err)
		}
		before := d.hitsOf("/c.json")
		ap := e.authParams(id, cb, "notes", "")
		resp := e.get(e.browser(), "/authorize?"+ap.Encode())
		page := body(t, resp)
		got := resp.StatusCode == http.StatusFound
		if got != c.allowed {
			t.Errorf("mode %s %v: allowed=%v (status %d), want %v\n%s", c.mode, c.domains, got, resp.StatusCode, c.allowed, page)
		}
		if !c.allowed && (!strings.Contains(page, "trust policy") && !strings.Contains(page, "does not accept")) {
			t.Errorf("mode %s %v: the refusal does not say why:\n%s", c.mode, c.domains, page)
		}
		if !c.allowed && d.hitsOf("/c.json") != before {
			t.Errorf("mode %s %v: a refused host was fetched", c.mode, c.domains)
		}
	}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// signAssertion makes an RFC 7523 client assertion.
func signAssertion(t *testing.T, key *ecdsa.PrivateKey, kid, clientID, aud, jti string, exp time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
		ID: jti, IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(exp)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPrivateKeyJWT (AS-15, LX-5): a metadata-document client with inline
// keys and a registered client with a jwks_uri authenticate with signed
// assertions; replayed, mis-addressed, expired, wrongly signed assertions
// and shared secrets are refused.
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "ES256"}
	docID := d.put("/keyed.json", map[string]any{"client_name": "Keyed", "redirect_uris": []string{cb},
		"token_endpoint_auth_method": "private_key_jwt", "jwks": jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}}})
	jwksBody, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	d.mu.Lock()
	d.docs["/jwks.json"] = string(jwksBody)
	d.mu.Unlock()
	reg := e.registerClient(map[string]any{"client_name": "Registered keyed", "redirect_uris": []string{cb},
		"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": d.Base + "/jwks.json"})
	if reg.ClientSecret != "" {
		t.Fatal("a private_key_jwt client was issued a secret")
	}
	tokenURL := e.issuer + "/token"
	for _, id := range []string{docID, reg.ClientID} {
		code, verifier := e.codeFlow(id, cb, "notes", "")
		form := func(code, assertion string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier},
				"client_id": {id}, "client_assertion_type": {oauth.AssertionTypeJWTBearer}, "client_assertion": {assertion}}
		}
		refused := []struct{ name, assertion string }{
			{"wrong key", signAssertion(t, other, "k1", id, tokenURL, "j-wrong-key", time.Now().Add(time.Minute))},
			{"wrong audience", signAssertion(t, key, "k1", id, "https://elsewhere.example/token", "j-aud", time.Now().Add(time.Minute))},
			{"expired", signAssertion(t, key, "k1", id, tokenURL, "j-exp", time.Now().Add(-5*time.Minute))},
			{"exp too far", signAssertion(t, key, "k1", id, tokenURL, "j-far", time.Now().Add(time.Hour))},
			{"no jti", signAssertion(t, key, "k1", id, tokenURL, "", time.Now().Add(time.Minute))},
		}
		for _, r := range refused {
			resp, body := e.token(form(code, r.assertion), "", "")
			if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Errorf("%s: %s: %d %v, want invalid_client", id, r.name, resp.StatusCode, body)
			}
		}
		good := signAssertion(t, key, "k1", id, tokenURL, "j-"+oauth.RandomString(6), time.Now().Add(time.Minute))
		resp, tok := e.token(form(code, good), "", "")
		if resp.StatusCode != http.StatusOK || tok["access_token"] == nil {
			t.Fatalf("%s: valid assertion: %d %v", id, resp.StatusCode, tok)
		}
		rt := tok["refresh_token"].(string)
		replay := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id},
			"client_assertion_type": {oauth.AssertionTypeJWTBearer}, "client_assertion": {good}}
		if resp, body := e.token(replay, "", ""); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("%s: replayed assertion: %d %v, want invalid_client", id, resp.StatusCode, body)
		}
		if resp, body := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}}, "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: no assertion: %d %v, want 401", id, resp.StatusCode, body)
		}
		replay.Set("client_assertion", signAssertion(t, key, "k1", id, e.issuer, "j-"+oauth.RandomString(6), time.Now().Add(time.Minute)))
		if resp, body := e.token(replay, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: fresh assertion with aud = issuer: %d %v", id, resp.StatusCode, body)
		}
	}

	// The registered client rotates the key behind its jwks_uri: the new
	// key works without waiting for the cached set to expire.
	newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rotated, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &newKey.PublicKey, KeyID: "k2", Use: "sig", Algorithm: "ES256"}}})
	d.mu.Lock()
	d.docs["/jwks.json"] = string(rotated)
	d.mu.Unlock()
	e.clock.Advance(31 * time.Second)
	code, verifier := e.codeFlow(reg.ClientID, cb, "notes", "")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}, "client_id": {reg.ClientID},
		"client_assertion_type": {oauth.AssertionTypeJWTBearer}, "client_assertion": {signAssertion(t, newKey, "k2", reg.ClientID, tokenURL, "j-rot", time.Now().Add(time.Minute))}}
	if resp, body := e.token(form, "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("assertion signed with the rotated key: %d %v", resp.StatusCode, body)
	}
}

// TestMetadataDocumentOneFetchUnderConcurrency (AS-8): many first requests
// for one document at once cause one fetch; max-age is honoured after it.
func TestMetadataDocumentOneFetchUnderConcurrency(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	id := d.put("/busy.json", map[string]any{"client_name": "Busy", "redirect_uris": []string{cb}})
	d.mu.Lock()
	d.cache["/busy.json"] = "max-age=120"
	d.mu.Unlock()
	var wg sync.WaitGroup
	statuses := make(chan int, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ap := e.authParams(id, cb, "notes", "")
			req, _ := http.NewRequest(http.MethodGet, e.issuer+"/authorize?"+ap.Encode(), nil)
			resp, err := e.browser().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusFound {
			t.Fatalf("an authorize request got %d", s)
		}
	}
	if n := d.hitsOf("/busy.json"); n != 1 {
		t.Fatalf("%d fetches for 16 concurrent first requests, want 1", n)
	}
	e.clock.Advance(90 * time.Second) // within max-age
	resp := e.get(e.browser(), "/authorize?"+e.authParams(id, cb, "notes", "").Encode())
	resp.Body.Close()
	e.clock.Advance(60 * time.Second) // past it
	resp = e.get(e.browser(), "/authorize?"+e.authParams(id, cb, "notes", "").Encode())
	resp.Body.Close()
	if n := d.hitsOf("/busy.json"); n != 2 {
		t.Fatalf("%d fetches after max-age passed, want 2", n)
	}
}

// TestMetadataDocumentFetchLimit: one source cannot make the server fetch
// an unbounded number of new documents; cached ones stay free.
func TestMetadataDocumentFetchLimit(t *testing.T) {
	t.Parallel()
	d := newDocServer(t)
	e := cimdEnv(t, d)
	var limited int
	for i := range 70 {
		id := d.put("/c"+strconv.Itoa(i)+".json", map[string]any{"client_name": "Many", "redirect_uris": []string{cb}})
		resp := e.get(e.browser(), "/authorize?"+e.authParams(id, cb, "notes", "").Encode())
		page := body(t, resp)
		if resp.StatusCode == http.StatusBadRequest && strings.Contains(page, "too many new client documents") {
			limited++
		}
	}
	if limited == 0 || limited > 15 {
		t.Fatalf("%d of 70 new documents refused; want the ones past the burst of 60", limited)
	}
	first := d.Base + "/c0.json"
	if resp := e.get(e.browser(), "/authorize?"+e.authParams(first, cb, "notes", "").Encode()); resp.StatusCode != http.StatusFound {
		t.Fatalf("a cached document was refused: %d", resp.StatusCode)
	}
}
