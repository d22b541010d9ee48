package oauth

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/oauth/oauthtest/tlstest"
)

// fakeResolver answers from a table, like a DNS server an attacker controls.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range r[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// dialLog records every connection attempt the fetcher makes.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) add(a string) { d.mu.Lock(); d.addrs = append(d.addrs, a); d.mu.Unlock() }
func (d *dialLog) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func testFetcher(t *testing.T, p FetchPolicy) (*Fetcher, *dialLog) {
	t.Helper()
	f := NewFetcher(p)
	log := &dialLog{}
	f.onDial = log.add
	return f, log
}

// TestAddrAllowed: every blocked range, with and without the loopback switch.
func TestAddrAllowed(t *testing.T) {
	t.Parallel()
	blocked := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.1.2.3",
		"169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1",
		"198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1",
		"255.255.255.255",
		"::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "64:ff9b::a00:1",
		"64:ff9b:1::1", "100::1", "2001::1", "2001:2::1", "2001:10::1", "2001:20::1", "2001:db8::1", "2002:a00:1::1",
		"3fff::1", "5f00::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
		"::ffff:0:a00:1", "100:1::1", "4000::1", "1000::1",
	}
	for _, s := range blocked {
		a := netip.MustParseAddr(s)
		if addrAllowed(a, false) {
			t.Errorf("%s allowed, want blocked", s)
		}
		loop := s == "127.0.0.1" || s == "127.1.2.3" || s == "::1"
		if got := addrAllowed(a, true); got != loop {
			t.Errorf("%s with the loopback switch: allowed=%v, want %v (only plain loopback opens)", s, got, loop)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001::200e"} {
		if !addrAllowed(netip.MustParseAddr(s), false) {
			t.Errorf("public %s blocked", s)
		}
	}
	if addrAllowed(netip.MustParseAddr("fe80::1%eth0"), true) {
		t.Error("a zoned address allowed")
	}
}

// TestFetchRefusesWithoutConnecting: URL forms and resolutions that must be
// refused before any connection attempt.
func TestFetchRefusesWithoutConnecting(t *testing.T) {
	t.Parallel()
	res := fakeResolver{
		"private.example":  {"10.1.2.3"},
		"metadata.example": {"169.254.169.254"},
		"mixed.example":    {"93.184.215.14", "192.168.0.5"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		"nat64.example":    {"64:ff9b::7f00:1"},
		"loop.example":     {"127.0.0.1"},
		"cgnat.example":    {"100.100.100.100"},
	}
	cases := []struct{ name, url string }{
		{"plain http", "http://93.184.215.14/doc"},
		{"userinfo", "https://user:pw@93.184.215.14/doc"},
		{"loopback literal", "https://127.0.0.1/doc"},
		{"loopback v6 literal", "https://[::1]/doc"},
		{"ipv4-mapped literal", "https://[::ffff:127.0.0.1]/doc"},
		{"ipv4-mapped public literal", "https://[::ffff:8.8.8.8]/doc"},
		{"private literal", "https://10.0.0.1/doc"},
		{"link-local literal", "https://169.254.169.254/latest/meta-data"},
		{"decimal spelling", "https://2130706433/doc"},
		{"hex spelling", "https://0x7f000001/doc"},
		{"dotted hex spelling", "https://0x7f.0.0.1/doc"},
		{"octal spelling", "https://0177.0.0.1/doc"},
		{"short spelling", "https://127.1/doc"},
		{"name resolving to private", "https://private.example/doc"},
		{"name resolving to metadata service", "https://metadata.example/doc"},
		{"name with one private address among public ones", "https://mixed.example/doc"},
		{"name resolving to mapped loopback", "https://mapped.example/doc"},
		{"name resolving to NAT64", "https://nat64.example/doc"},
		{"name resolving to loopback", "https://loop.example/doc"},
		{"name resolving to CGNAT", "https://cgnat.example/doc"},
		{"unresolvable", "https://nowhere.example/doc"},
	}
	f, dials := testFetcher(t, FetchPolicy{Resolver: res})
	for _, c := range cases {
		_, err := f.Get(context.Background(), c.url, "application/json", 0)
		var fe *FetchError
		if !errors.As(err, &fe) {
			t.Errorf("%s (%s): err = %v, want a FetchError", c.name, c.url, err)
		}
	}
	if d := dials.all(); len(d) != 0 {
		t.Fatalf("connection attempts were made: %v", d)
	}
}

// tlsDoc serves a document over TLS on loopback and returns a policy that
// trusts it, as the test switches would.
func tlsDoc(t *testing.T, h http.HandlerFunc) (*httptest.Server, FetchPolicy) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case logs a handshake error
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, FetchPolicy{AllowLoopback: true, ExtraCAs: pool, Resolver: fakeResolver{"example.com": {"127.0.0.1"}}}
}

// TestFetchLoopbackSwitch: with the switch, a loopback TLS server is
// reachable by name and by address; a redirect to a private address is not
// followed and nothing connects there; the size cap holds.
func TestFetchLoopbackSwitch(t *testing.T) {
	t.Parallel()
	srv, p := tlsDoc(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/doc":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "/redirect":
			http.Redirect(w, r, "https://10.0.0.1/doc", http.StatusFound)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 10000)))
		default:
			http.NotFound(w, r)
		}
	})
	u, _ := url.Parse(srv.URL)
	byName := "https://example.com:" + u.Port()
	f, dials := testFetcher(t, p)
	for _, base := range []string{srv.URL, byName} {
		r, err := f.Get(context.Background(), base+"/doc", "application/json", 0)
		if err != nil || string(r.Body) != `{"ok":true}` {
			t.Fatalf("GET %s/doc: %v", base, err)
		}
	}
	if _, err := f.Get(context.Background(), byName+"/redirect", "application/json", 0); err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("redirect: err = %v, want refused", err)
	}
	if _, err := f.Get(context.Background(), byName+"/big", "application/json", 5000); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("oversized: err = %v, want refused", err)
	}
	if _, err := f.Get(context.Background(), byName+"/missing", "application/json", 0); err == nil {
		t.Fatal("404 accepted")
	}
	for _, d := range dials.all() {
		if !strings.HasPrefix(d, "127.0.0.1:") {
			t.Fatalf("connected to %s; only the loopback test server may be reached", d)
		}
	}
	// Without the extra CA the test server's certificate is refused.
	plain, _ := testFetcher(t, FetchPolicy{AllowLoopback: true, Resolver: p.Resolver})
	if _, err := plain.Get(context.Background(), byName+"/doc", "application/json", 0); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	// Without the loopback switch nothing connects.
	strict, sd := testFetcher(t, FetchPolicy{ExtraCAs: p.ExtraCAs, Resolver: p.Resolver})
	if _, err := strict.Get(context.Background(), byName+"/doc", "application/json", 0); err == nil || len(sd.all()) != 0 {
		t.Fatalf("loopback reached without the switch: %v, dials %v", err, sd.all())
	}
}

// TestFetchPolicyFromEnv: the two switches, and nothing else, loosen it.
func TestFetchPolicyFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, warn, err := FetchPolicyFromEnv(env(nil))
	if err != nil || p.AllowLoopback || p.ExtraCAs != nil || len(warn) != 0 {
		t.Fatalf("unset: %+v %v %v", p, warn, err)
	}
	p, warn, err = FetchPolicyFromEnv(env(map[string]string{EnvInsecureLoopbackFetch: "1"}))
	if err != nil || !p.AllowLoopback || len(warn) != 1 {
		t.Fatalf("loopback switch: %+v %v %v", p, warn, err)
	}
	if _, _, err := FetchPolicyFromEnv(env(map[string]string{EnvInsecureLoopbackFetch: "yes please"})); err == nil {
		t.Fatal("a bad value was accepted")
	}
	if _, _, err := FetchPolicyFromEnv(env(map[string]string{EnvFetchCAFile: "/nonexistent.pem"})); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
}

// TestSourceKey: IPv6 addresses group by /64, IPv4 by address.
func TestSourceKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.7": "192.0.2.7", "2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "2001:db8:1:2::ffff": "2001:db8:1:2::/64", "not-an-ip": "not-an-ip",
	} {
		if got := SourceKey(in); got != want {
			t.Errorf("SourceKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResolveUnmapsAnswers: Go's resolver answers A records as IPv4-mapped
// IPv6, so the decision is made on the unmapped address. A mapped public
// answer is accepted (and pinned unmapped), a mapped private or loopback one
// refused exactly as its plain twin is; the loopback switch opens mapped
// loopback answers (what /etc/hosts gives for localhost) and nothing else.
// resolve is called directly: nothing is dialed.
func TestResolveUnmapsAnswers(t *testing.T) {
	t.Parallel()
	res := fakeResolver{
		"public.example":    {"::ffff:93.184.215.14"},
		"public6.example":   {"2606:4700:4700::1111", "::ffff:1.1.1.1"},
		"doc.example":       {"::ffff:203.0.113.7"}, // TEST-NET-3: documentation, never routed
		"private.example":   {"::ffff:10.1.2.3"},
		"loopback.example":  {"::ffff:127.0.0.1"},
		"metadata.example":  {"::ffff:169.254.169.254"},
		"mixedmap.example":  {"::ffff:93.184.215.14", "::ffff:192.168.1.1"},
		"plainpriv.example": {"10.1.2.3"},
	}
	tests := []struct {
		host          string
		allowLoopback bool
		want          []string // nil: refused
	}{
		{"public.example", false, []string{"93.184.215.14"}},
		{"public6.example", false, []string{"2606:4700:4700::1111", "1.1.1.1"}},
		{"doc.example", false, nil},
		{"private.example", false, nil},
		{"private.example", true, nil},
		{"loopback.example", false, nil},
		{"loopback.example", true, []string{"127.0.0.1"}},
		{"metadata.example", true, nil},
		{"mixedmap.example", false, nil},
		{"plainpriv.example", false, nil},
	}
	for _, tt := range tests {
		f, dials := testFetcher(t, FetchPolicy{Resolver: res, AllowLoopback: tt.allowLoopback})
		got, err := f.resolve(context.Background(), tt.host)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s (loopback switch %v): resolved to %v, want refused", tt.host, tt.allowLoopback, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (loopback switch %v): %v, want %v", tt.host, tt.allowLoopback, err, tt.want)
			continue
		}
		var s []string
		for _, a := range got {
			if a.Is4In6() {
				t.Errorf("%s: pinned %s still mapped", tt.host, a)
			}
			s = append(s, a.String())
		}
		if strings.Join(s, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: pinned %v, want %v", tt.host, s, tt.want)
		}
		if d := dials.all(); len(d) != 0 {
			t.Errorf("resolve dialed %v", d)
		}
	}
	// Literals a client typed stay refused in the mapped spelling, even
	// where the plain one would pass the loopback switch.
	f, _ := testFetcher(t, FetchPolicy{AllowLoopback: true})
	for _, host := range []string{"[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "[::ffff:93.184.215.14]"} {
		if _, err := f.resolve(context.Background(), host); err == nil {
			t.Errorf("mapped literal %s accepted", host)
		}
	}
}

// TestFetchSystemResolverLocalhost is the production twin of the tests
// above that inject a resolver: the system resolver answers localhost from
// /etc/hosts (as ::ffff:127.0.0.1 in Go), and with the loopback switch the
// fetch reaches a TLS server on 127.0.0.1; without it, it is refused
// before any connection.
func TestFetchSystemResolverLocalhost(t *testing.T) {
	t.Parallel()
	srv := tlstest.New(t, "localhost", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	env := map[string]string{EnvInsecureLoopbackFetch: "1", EnvFetchCAFile: srv.CAFile}
	p, _, err := FetchPolicyFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	u := srv.Base + "/doc" // https://localhost:PORT/doc
	f, dials := testFetcher(t, p)
	res, err := f.Get(context.Background(), u, "application/json", 0)
	if err != nil || string(res.Body) != `{"ok":true}` {
		t.Fatalf("GET %s through the system resolver: %v", u, err)
	}
	for _, d := range dials.all() {
		if ap, err := netip.ParseAddrPort(d); err != nil || ap.Addr().Is4In6() || !ap.Addr().IsLoopback() {
			t.Errorf("dialed %s, want a plain loopback address", d)
		}
	}
	strict, sd := testFetcher(t, FetchPolicy{ExtraCAs: p.ExtraCAs})
	if _, err := strict.Get(context.Background(), u, "application/json", 0); err == nil {
		t.Fatal("localhost fetched without the loopback switch")
	}
	if d := sd.all(); len(d) != 0 {
		t.Errorf("without the switch the fetcher dialed %v", d)
	}
}
