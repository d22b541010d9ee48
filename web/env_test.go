package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/static"
	"github.com/latchkey/latchkey/web"
	"github.com/latchkey/latchkey/web/metrics"
)

// testClock is a settable clock shared by the provider and the server.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one Latchkey behind an httptest server with a user and two routes.
type env struct {
	t        testing.TB
	srv      *httptest.Server
	issuer   string
	store    web.Store
	provider *oauth.Provider
	clock    *testClock
	user     *oauth.User
	password string
	logs     *lockedBuffer // everything the server logged
	// lastConsentPage is the HTML of the last consent page signInAt approved.
	lastConsentPage string
}

type envOpts struct {
	// fetchEnv is the environment the outbound client's policy is read
	// from (the two test switches); fetchHosts maps names to loopback.
	fetchEnv            map[string]string
	fetchHosts          map[string]string
	disableRegistration bool
	maxUnusedClients    int
	issuer              string // overrides the listener's http:// URL (for https-issuer tests)
	bodyReadTimeout     time.Duration
}

func newEnv(t testing.TB, store web.Store, opts ...envOpts) *env {
	t.Helper()
	var o envOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := context.Background()
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	if o.issuer != "" {
		issuer = o.issuer
	}
	secrets, err := oauth.NewSecrets(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := oauth.NewKeySet(ctx, store, secrets, clock.Now, 16*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	var logTo io.Writer = logs
	if testing.Verbose() {
		logTo = io.MultiWriter(logs, testWriter{t})
	}
	log := slog.New(web.NewLogHandler(slog.NewTextHandler(logTo, nil)))
	policy, _, err := oauth.FetchPolicyFromEnv(func(k string) string { return o.fetchEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.fetchHosts != nil {
		policy.Resolver = hostsResolver(o.fetchHosts)
	}
	rec := metrics.New(store, clock.Now, log)
	p, err := oauth.New(oauth.Config{Issuer: issuer, AllowRegistration: !o.disableRegistration, MaxUnusedClients: o.maxUnusedClients}, store, keys,
		oauth.WithClock(clock.Now), oauth.WithLogger(log), oauth.WithFetcher(oauth.NewFetcher(policy)), oauth.WithMetrics(rec))
	if err != nil {
		t.Fatal(err)
	}
	hasher := oauth.NewHasher(oauth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, 4)
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Addr: ts.Listener.Addr().String(), Issuer: issuer, RevocationPoll: 20 * time.Millisecond, MetricsFlush: 50 * time.Millisecond,
		BodyReadTimeout: o.bodyReadTimeout}, web.Deps{
		Provider: p, Store: store, Secrets: secrets, Hasher: hasher, Assets: assets, Log: log, Clock: clock.Now, Metrics: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	bg, stopBackground := context.WithCancel(ctx)
	t.Cleanup(stopBackground)
	go srv.RunBackground(bg)

	e := &env{t: t, srv: ts, issuer: issuer, store: store, provider: p, clock: clock, password: "correct horse battery", logs: logs}
	hash, err := hasher.Hash(ctx, e.password)
	if err != nil {
		t.Fatal(err)
	}
	e.user = &oauth.User{ID: "usr_alice", Username: "alice", PasswordHash: hash, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := store.CreateUser(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*oauth.Route{
		{Name: "files", Upstream: "http://127.0.0.1:9/mcp", Title: "Files", Scopes: []string{"files:read", "files:write"}, CreatedAt: clock.Now()},
		{Name: "notes", Upstream: "http://127.0.0.1:9/mcp", Title: "Notes", Scopes: []string{"notes:read"}, CreatedAt: clock.Now()},
	} {
		if err := store.CreateRoute(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// hostsResolver answers names from a table, like /etc/hosts.
type hostsResolver map[string]string

func (h hostsResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := h[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (e *env) resource(route string) string { return oauth.ResourceURL(e.issuer, route) }

// browser is a cookie-keeping client that never follows redirects, so each
// hop can be asserted.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// registration is the JSON a client receives from /register.
type registration struct {
	ClientID              string   `json:"client_id"`
	ClientSecret          string   `json:"client_secret"`
	ClientIDIssuedAt      int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64   `json:"client_secret_expires_at"`
	RedirectURIs          []string `json:"redirect_uris"`
	TokenEndpointAuthMeth string   `json:"token_endpoint_auth_method"`
	GrantTypes            []string `json:"grant_types"`
	ResponseTypes         []string `json:"response_types"`
	ClientName            string   `json:"client_name"`
}

func (e *env) register(body map[string]any) (*http.Response, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.issuer+"/register", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, decodeJSON(e.t, resp)
}

// registerPublic registers a public client with one loopback redirect URI.
func (e *env) registerPublic(redirect string) registration {
	e.t.Helper()
	return e.registerClient(map[string]any{
		"client_name": "Test Client", "redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
	})
}

func (e *env) registerClient(body map[string]any) registration {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.issuer+"/register", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("register: status %d: %s", resp.StatusCode, raw)
	}
	var r registration
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func decodeJSON(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("status %d, body %q is not JSON: %v", resp.StatusCode, raw, err)
	}
	return m
}

// authParams builds an authorization request with a fresh PKCE pair.
type authParams struct {
	url.Values
	verifier string
}

func (e *env) authParams(clientID, redirect, route, scope string) authParams {
	verifier := oauth.RandomString(32)
	v := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"code_challenge": {oauth.S256Challenge(verifier)}, "code_challenge_method": {"S256"},
		"state": {"st-" + oauth.RandomString(6)}, "resource": {e.resource(route)},
	}
	if scope != "" {
		v.Set("scope", scope)
	}
	return authParams{Values: v, verifier: verifier}
}

func (e *env) get(c *http.Client, path string) *http.Response {
	e.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = e.issuer + path
	}
	resp, err := c.Get(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func (e *env) postForm(c *http.Client, path string, form url.Values) *http.Response {
	e.t.Helper()
	resp, err := c.PostForm(e.issuer+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
var requestIDRe = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
var flashSecretRe = regexp.MustCompile(`data-testid="flash-secret">([^<]+)<`)

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func match(t testing.TB, re *regexp.Regexp, html string) string {
	t.Helper()
	m := re.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("%s not found in page:\n%s", re, html)
	}
	return m[1]
}

func wantStatus(t testing.TB, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status %d, want %d; body: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b)
	}
}

func location(t testing.TB, resp *http.Response) *url.URL {
	t.Helper()
	u, err := resp.Location()
	if err != nil {
		t.Fatalf("%s %s: status %d with no Location", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	}
	return u
}

// signInAndConsent walks authorize → login → consent (approving) and
// returns the redirect back to the client.
func (e *env) signInAndConsent(c *http.Client, ap authParams) *url.URL {
	e.t.Helper()
	return e.signInAt(c, "/authorize?"+ap.Encode())
}

// signInAt is signInAndConsent for a ready-made authorization URL.
func (e *env) signInAt(c *http.Client, authorizeURL string) *url.URL {
	e.t.Helper()
	t := e.t
	resp := e.get(c, authorizeURL)
	wantStatus(t, resp, http.StatusFound)
	next := location(t, resp)
	resp = e.get(c, next.String())
	if resp.StatusCode == http.StatusFound && location(t, resp).Path == "/login" {
		login := location(t, resp)
		page := body(t, e.get(c, login.String()))
		form := url.Values{"username": {e.user.Username}, "password": {e.password},
			"csrf_token": {match(t, csrfRe, page)}, "next": {login.Query().Get("next")}}
		resp = e.postForm(c, "/login", form)
		wantStatus(t, resp, http.StatusSeeOther)
		resp = e.get(c, location(t, resp).String())
	}
	if resp.StatusCode == http.StatusFound { // remembered consent
		return location(t, resp)
	}
	wantStatus(t, resp, http.StatusOK)
	page := body(t, resp)
	e.lastConsentPage = page
	form := url.Values{"decision": {"approve"}, "csrf_token": {match(t, csrfRe, page)}, "request_id": {match(t, requestIDRe, page)}}
	resp = e.postForm(c, "/consent", form)
	wantStatus(t, resp, http.StatusSeeOther)
	return location(t, resp)
}

// token posts to /token, optionally with Basic credentials.
func (e *env) token(form url.Values, basicID, basicSecret string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, decodeJSON(e.t, resp)
}

func (e *env) exchange(clientID, code, redirect, verifier string) (*http.Response, map[string]any) {
	return e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, "", "")
}

func (e *env) refresh(clientID, rt string) (*http.Response, map[string]any) {
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, "", "")
}

// codeFlow does the whole browser part and returns code and verifier.
func (e *env) codeFlow(clientID, redirect, route, scope string) (code, verifier string) {
	e.t.Helper()
	ap := e.authParams(clientID, redirect, route, scope)
	back := e.signInAndConsent(e.browser(), ap)
	if back.Query().Get("state") != ap.Get("state") {
		e.t.Fatalf("state = %q, want %q", back.Query().Get("state"), ap.Get("state"))
	}
	code = back.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code in %s", back)
	}
	return code, ap.verifier
}

func oauthDate(t time.Time) *jwt.NumericDate { return jwt.NewNumericDate(t) }
