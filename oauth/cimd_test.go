package oauth

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testDocURL = "https://app.example/oauth/client.json"

// TestClientDocumentsGood: every document in testdata/cimd/good is accepted.
func TestClientDocumentsGood(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/cimd/good/*.json")
	if len(files) < 5 {
		t.Fatalf("only %d good documents", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseClientDocument(testDocURL, body, false)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if c.ID != testDocURL || c.Source != SourceCIMD || c.Name == "" || len(c.RedirectURIs) == 0 || c.UsesSecret() {
			t.Errorf("%s: client %+v", filepath.Base(f), c)
		}
	}
}

// TestClientDocumentsBad: every document in testdata/cimd/bad is refused
// with a reason (AS-7, AS-10, LX-3, LX-5).
func TestClientDocumentsBad(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/cimd/bad/*.json")
	if len(files) < 15 {
		t.Fatalf("only %d bad documents", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := ParseClientDocument(testDocURL, body, false); err == nil {
			t.Errorf("%s accepted: %+v", filepath.Base(f), c)
		} else if strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%s: empty reason", filepath.Base(f))
		}
	}
}

// TestCheckClientIDURL: the draft's URL rules, with no normalization.
func TestCheckClientIDURL(t *testing.T) {
	t.Parallel()
	good := []string{testDocURL, "https://claude.ai/oauth/mcp-oauth-client-metadata", "https://vscode.dev/oauth/client-metadata.json",
		"https://app.example:8443/c", "https://app.example/c?v=1"}
	bad := []string{"http://app.example/c", "https://app.example", "https://app.example/", "https://app.example/c#frag",
		"https://user@app.example/c", "https://app.example/a/../c", "https://app.example/./c", "https://app.example/a/%2e%2e/c",
		"https:///c", "ftp://app.example/c", "https://127.0.0.1/c", "https://[::1]/c", "https://10.0.0.1/c", "https://2130706433/c"}
	for _, u := range good {
		if _, err := CheckClientIDURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range bad {
		if _, err := CheckClientIDURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// TestCacheTTL (AS-8): max-age honoured, clamped to [1 min, 24 h].
func TestCacheTTL(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		hdr  map[string]string
		want time.Duration
	}{
		{nil, cimdDefaultTTL},
		{map[string]string{"Cache-Control": "public, max-age=3600"}, time.Hour},
		{map[string]string{"Cache-Control": "max-age=5"}, cimdMinTTL},
		{map[string]string{"Cache-Control": "max-age=9999999"}, cimdMaxTTL},
		{map[string]string{"Cache-Control": "no-store"}, cimdMinTTL},
		{map[string]string{"Cache-Control": "no-cache, max-age=600"}, cimdMinTTL},
		{map[string]string{"Expires": now.Add(2 * time.Hour).Format(http.TimeFormat)}, 2 * time.Hour},
		{map[string]string{"Expires": now.Add(-time.Hour).Format(http.TimeFormat)}, cimdMinTTL},
		{map[string]string{"Cache-Control": "max-age=120", "Expires": now.Add(5 * time.Hour).Format(http.TimeFormat)}, 2 * time.Minute},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.hdr {
			h.Set(k, v)
		}
		if got := cacheTTL(h, now); got != c.want {
			t.Errorf("%v: ttl %s, want %s", c.hdr, got, c.want)
		}
	}
}

// TestDomainMatches: "*." matches exactly one label.
func TestDomainMatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, host string
		want          bool
	}{
		{"claude.ai", "claude.ai", true},
		{"claude.ai", "evil-claude.ai", false},
		{"claude.ai", "x.claude.ai", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "aexample.com", false},
		{"*.Example.COM", "a.example.com", true},
	}
	for _, c := range cases {
		if got := DomainMatches(c.pattern, c.host); got != c.want {
			t.Errorf("DomainMatches(%q, %q) = %v", c.pattern, c.host, got)
		}
	}
	for in, want := range map[string]string{"Claude.AI.": "claude.ai", "*.Example.com": "*.example.com", "bücher.example": "xn--bcher-kva.example"} {
		if got, err := NormalizeTrustDomain(in); err != nil || got != want {
			t.Errorf("NormalizeTrustDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "localhost", "10.0.0.1", "*.*.example.com", "a.*.example.com", "exa mple.com"} {
		if got, err := NormalizeTrustDomain(in); err == nil {
			t.Errorf("NormalizeTrustDomain(%q) = %q, want an error", in, got)
		}
	}
}

// TestCIMDCacheOneFetch: concurrent first requests for one document share
// one fetch, and a fresh entry is served without fetching.
func TestCIMDCacheOneFetch(t *testing.T) {
	t.Parallel()
	c := newCIMDCache()
	var calls atomic.Int32
	release := make(chan struct{})
	now := time.Now
	fetch := func(context.Context) *cimdEntry {
		calls.Add(1)
		<-release
		return &cimdEntry{client: &Client{ID: testDocURL}, expires: now().Add(time.Minute)}
	}
	var wg sync.WaitGroup
	results := make(chan *cimdEntry, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- c.get(context.Background(), testDocURL, now, fetch)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let every caller arrive
	close(release)
	wg.Wait()
	close(results)
	for e := range results {
		if e.client == nil || e.client.ID != testDocURL {
			t.Fatalf("a waiter got %+v", e)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d fetches for 20 concurrent first requests, want 1", n)
	}
	c.get(context.Background(), testDocURL, now, fetch)
	if n := calls.Load(); n != 1 {
		t.Fatalf("a fresh entry was fetched again (%d fetches)", n)
	}
	later := func() time.Time { return time.Now().Add(2 * time.Minute) }
	c.get(context.Background(), testDocURL, later, func(ctx context.Context) *cimdEntry { calls.Add(1); return fetch(ctx) })
	if n := calls.Load(); n != 3 {
		t.Fatalf("an expired entry was not refetched (%d calls)", n)
	}
}

// TestClientDocumentsPublishedShapes: documents shaped like the ones real
// clients publish (../shared/fixtures/client-metadata, client_id rewritten)
// keep only the grant and response types Latchkey serves; VS Code's
// device-code grant and a connector's jwt-bearer grant are dropped, not
// refused, and application_type is accepted.
func TestClientDocumentsPublishedShapes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"published-vscode", "published-chatgpt", "published-claude-connector", "published-claude-code"} {
		body, err := os.ReadFile(filepath.Join("testdata", "cimd", "good", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseClientDocument(testDocURL, body, false)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := strings.Join(c.GrantTypes, " "); got != "authorization_code refresh_token" {
			t.Errorf("%s: grant types %q, want only the served ones", name, got)
		}
		if got := strings.Join(c.ResponseTypes, " "); got != "code" {
			t.Errorf("%s: response types %q", name, got)
		}
	}
	for _, tt := range []struct{ name, body string }{
		{"device code only", `{"client_id":"` + testDocURL + `","client_name":"X","redirect_uris":["https://app.example/cb"],"grant_types":["urn:ietf:params:oauth:grant-type:device_code"]}`},
		{"token response type only", `{"client_id":"` + testDocURL + `","client_name":"X","redirect_uris":["https://app.example/cb"],"response_types":["token"]}`},
		{"unknown application_type", `{"client_id":"` + testDocURL + `","client_name":"X","redirect_uris":["https://app.example/cb"],"application_type":"desktop"}`},
	} {
		if _, err := ParseClientDocument(testDocURL, []byte(tt.body), false); err == nil {
			t.Errorf("%s: accepted, want refused (nothing usable remains)", tt.name)
		}
	}
}
