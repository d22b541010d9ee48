package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/latchkey/latchkey/oauth"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesPlainHTTPIssuer(t *testing.T) {
	e := newTestEnv(t)
	for _, issuer := range []string{"http://example.com", "http://10.0.0.1:8080", "ftp://auth.example.com"} {
		e.fails(t, exitError, "issuer", "--issuer", issuer, "serve")
	}
	e.fails(t, exitError, "set --issuer", "serve", "--addr", "0.0.0.0:8080")
	if _, err := os.Stat(filepath.Join(e.dir, "l.db")); !os.IsNotExist(err) {
		t.Errorf("database: got stat error %v, want none created before the issuer check", err)
	}
}

// server is a latchkey serve running in the background.
type server struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	base           string // http://127.0.0.1:PORT
}

var listeningAddr = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// startServe runs serve on a free loopback port and waits until /healthz answers.
func startServe(t *testing.T, e *testEnv, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	full := append(append([]string{"latchkey"}, e.args...), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	go func() { s.done <- run(ctx, full, strings.NewReader(""), s.stdout, s.stderr, e.getenv) }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited with %d before listening; stderr:\n%s", code, s.stderr.String())
		default:
		}
		if m := listeningAddr.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = "http://" + m[1]
			if resp, err := http.Get(s.base + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return s
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not become healthy; stderr:\n%s", s.stderr.String())
	return nil
}

// stop cancels serve's context and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancellation")
		return -1
	}
}

func TestServeSmoke(t *testing.T) {
	e := newTestEnv(t)
	s := startServe(t, e, "--allow-registration=false")

	resp, err := http.Get(s.base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Issuer               string `json:"issuer"`
		RegistrationEndpoint string `json:"registration_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || md.Issuer != s.base {
		t.Errorf("metadata issuer: got %q (err %v), want %q (the port actually bound)", md.Issuer, err, s.base)
	}
	if md.RegistrationEndpoint != "" {
		t.Errorf("registration_endpoint: got %q, want none with --allow-registration=false", md.RegistrationEndpoint)
	}

	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit code: got %d, want 0; stderr:\n%s", code, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("stderr: got %q, want a clean stop logged", s.stderr.String())
	}
}

func TestServeDemoIdempotent(t *testing.T) {
	e := newTestEnv(t)
	s := startServe(t, e, "--demo")
	// The gateway publishes the demo route and challenges a tokenless call.
	resp, err := http.Post(s.base+"/mcp/demo", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata=") {
		t.Errorf("tokenless call to /mcp/demo: %d %q, want a 401 Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit code: got %d, want 0; stderr:\n%s", code, s.stderr.String())
	}
	out := s.stdout.String()
	m := regexp.MustCompile(`(?m)^demo user: demo / password: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("first --demo output: got %q, want the demo password", out)
	}
	checkPassword(t, e, "demo", m[1])
	for _, want := range []string{s.base + "/mcp/demo", s.base + "/register", s.base + "/.well-known/oauth-authorization-server"} {
		if !strings.Contains(out, want) {
			t.Errorf("--demo output: got %q, want it to contain %q", out, want)
		}
	}

	s = startServe(t, e, "--demo")
	s.stop(t)
	if out := s.stdout.String(); strings.Contains(out, m[1]) || strings.Contains(out, "password: ") {
		t.Errorf("second --demo output: got %q, want no password printed again", out)
	}
	var routes []routeView
	e.jsonOut(t, &routes, "routes", "list")
	if len(routes) != 1 || routes[0].Name != demoRoute || !strings.HasPrefix(routes[0].Upstream, "http://127.0.0.1:") ||
		fmt.Sprint(routes[0].Scopes) != "[tools:read tools:call notes:delete]" || len(routes[0].StepUp) != 1 {
		t.Errorf("routes after two --demo starts: got %+v, want the one demo route", routes)
	}
	var users []userView
	e.jsonOut(t, &users, "users", "list")
	if len(users) != 1 || users[0].Username != demoUsername || !users[0].Admin {
		t.Errorf("users after two --demo starts: got %+v, want the one demo user, an administrator", users)
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct{ configured, actual, want string }{
		{"127.0.0.1:0", "127.0.0.1:43210", "127.0.0.1:43210"},
		{"localhost:0", "127.0.0.1:43210", "localhost:43210"},
		{"[::1]:0", "[::1]:43210", "[::1]:43210"},
		{"localhost:8080", "127.0.0.1:8080", "localhost:8080"},
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.actual)
		if err != nil {
			t.Fatal(err)
		}
		if got := listenAddr(tt.configured, addr); got != tt.want {
			t.Errorf("listenAddr(%q, %s): got %q, want %q", tt.configured, tt.actual, got, tt.want)
		}
	}
}

// TestServeTestFetchSwitches (LX-8): the loopback switch is read from the
// environment only, logged as a warning at start and reported by /readyz;
// without it /readyz has no warning. The metadata switches (LX-7) work.
func TestServeTestFetchSwitches(t *testing.T) {
	e := newTestEnv(t)
	s := startServe(t, e, "--client-metadata=accept", "--advertise-registration=false")
	body := func(path string) string {
		resp, err := http.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if r := body("/readyz"); r != "ready\n" {
		t.Errorf("/readyz without switches: %q", r)
	}
	md := body("/.well-known/oauth-authorization-server")
	if strings.Contains(md, "client_id_metadata_document_supported") || strings.Contains(md, "registration_endpoint") {
		t.Errorf("metadata advertises what the switches hide: %s", md)
	}
	s.stop(t)

	e.env[oauth.EnvInsecureLoopbackFetch] = "1"
	s = startServe(t, e)
	if r := body("/readyz"); !strings.HasPrefix(r, "ready\n") || !strings.Contains(r, "warning: "+oauth.EnvInsecureLoopbackFetch) {
		t.Errorf("/readyz with the loopback switch: %q", r)
	}
	if md := body("/.well-known/oauth-authorization-server"); !strings.Contains(md, `"client_id_metadata_document_supported":true`) {
		t.Errorf("metadata does not advertise documents by default: %s", md)
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "test-only switch is set") {
		t.Errorf("no start-up warning logged: %s", s.stderr.String())
	}

	e.env[oauth.EnvInsecureLoopbackFetch] = "maybe"
	if r := e.run(t, "", "serve"); r.code == 0 || !strings.Contains(r.stderr, oauth.EnvInsecureLoopbackFetch) {
		t.Errorf("a bad switch value: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestServeMetricsToken: with --metrics-token, /metrics wants the token
// even from loopback.
func TestServeMetricsToken(t *testing.T) {
	e := newTestEnv(t)
	s := startServe(t, e, "--metrics-token", "scrape-secret")
	for tok, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, "scrape-secret": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/metrics with token %q: %d, want %d", tok, resp.StatusCode, want)
		}
	}
}
