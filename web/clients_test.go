package web_test

// The client battery: real MCP clients (tests/clients, installed from its
// lockfile by scripts/ci-deps.sh npm) against the real `latchkey serve
// --demo` binary, with the authorization step driven in headless Chromium.
// Each client has its own clients_<name>_test.go; this file holds what
// they share. docs/clients.md is the table of what each one sends.

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/latchkey/latchkey/oauth"
)

// clientTimeout bounds one client's whole run, browser step included.
const clientTimeout = 3 * time.Minute

// demoServer is one `latchkey serve --demo` process with its demo user,
// and a Chromium tab to sign in with.
type demoServer struct {
	t        *testing.T
	in       *installation
	proc     *process
	base     string // the issuer
	mcpURL   string // {issuer}/mcp/demo
	password string // the demo user's
	e        *env   // for browserFlow: issuer and the demo user
	browser  *browserFlow
}

// startDemo runs the binary with --demo on a free loopback port of a fresh
// SQLite installation; extra serve flags and environment entries are
// passed on (for example --client-metadata accept, which makes clients
// that prefer metadata documents fall back to dynamic registration).
func startDemo(t *testing.T, extraEnv []string, extraArgs ...string) *demoServer {
	t.Helper()
	cons := newConsoleLog()
	bctx := newBrowser(t, cons) // fails in CI, skips locally without Chromium
	bin, err := latchkeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	in := &installation{t: t, bin: bin, dsn: "sqlite:" + filepath.Join(t.TempDir(), "demo.db"), secret: strings.Repeat("c", 40), data: t.TempDir(), env: extraEnv}
	addr := freeAddr(t)
	p := in.serve(addr, "http://"+addr, append([]string{"--demo"}, extraArgs...)...)
	password := demoPassword(t, p)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("latchkey serve output:\n%s", p.logs.String())
		}
	})
	e := &env{t: t, issuer: p.base, user: &oauth.User{Username: "demo"}, password: password}
	return &demoServer{t: t, in: in, proc: p, base: p.base, mcpURL: p.base + "/mcp/demo", password: password, e: e,
		browser: &browserFlow{t: t, ctx: bctx, e: e, cons: cons}}
}

// demoPasswordRe finds the password `serve --demo` prints once.
var demoPasswordRe = regexp.MustCompile(`demo user: demo / password: (\S+)`)

// demoPassword waits for the demo user's password in the process output:
// it is printed on stdout while the logs go to stderr, so it may arrive
// after /readyz answers.
func demoPassword(t *testing.T, p *process) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := demoPasswordRe.FindStringSubmatch(p.logs.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve --demo printed no password:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// approve opens an authorization URL a client produced, signs in as the
// demo user when asked, checks the consent page names clientName (when
// given), approves, and waits until the browser has left Latchkey for the
// client's redirect URI. It returns that URL.
func (d *demoServer) approve(authorizeURL, clientName string) string {
	d.t.Helper()
	b := d.browser
	if !strings.HasPrefix(authorizeURL, d.base+"/authorize?") {
		d.t.Fatalf("authorization URL %q is not Latchkey's /authorize", authorizeURL)
	}
	u, _ := url.Parse(authorizeURL)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("resource") != d.mcpURL {
		d.t.Errorf("authorization request %v: want S256 PKCE and resource=%s", q, d.mcpURL)
	}
	b.do("open authorize", chromedp.Navigate(authorizeURL))
	b.do("wait for login or consent", chromedp.WaitVisible(chromedp.CSS("#username, #approve")))
	if strings.HasPrefix(b.location(), d.base+"/login") {
		b.do("fill login form",
			chromedp.SendKeys(chromedp.ID("username"), "demo"),
			chromedp.SendKeys(chromedp.ID("password"), d.password),
		)
		b.do("submit login", chromedp.Click(chromedp.ID("login-submit")))
		b.do("wait for consent page", chromedp.WaitVisible(chromedp.ID("approve")))
	}
	if clientName != "" {
		if got := b.text(`[data-testid="client-name"]`); got != clientName {
			d.t.Errorf("consent page names the client %q, want %q", got, clientName)
		}
	}
	b.do("click approve", chromedp.Click(chromedp.ID("approve")))
	deadline := time.Now().Add(stepTimeout)
	for {
		loc := b.location()
		if !strings.HasPrefix(loc, d.base) && !strings.HasPrefix(loc, "(unknown") && loc != "about:blank" {
			return loc
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the browser did not leave Latchkey after approving (at %s)", loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkToken asserts that token is accepted by the gateway: a Go SDK
// client connects to /mcp/demo with it and calls echo through to the demo
// upstream.
func (d *demoServer) checkToken(ctx context.Context, token string) {
	d.t.Helper()
	callEcho(d.t, ctx, d.mcpURL, token)
}

// callEcho connects a Go SDK client to the MCP URL with token and calls the
// demo's echo tool, failing the test unless the text comes back.
func callEcho(t *testing.T, ctx context.Context, mcpURL, token string) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "battery-check", Version: "v0.0.1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   mcpURL,
		HTTPClient: &http.Client{Transport: bearerTransport{token: token, base: http.DefaultTransport}},
		MaxRetries: -1,
	}, nil)
	if err != nil {
		t.Fatalf("the token is not accepted by the gateway: %v", err)
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "battery"}})
	if err != nil || res.IsError || len(res.Content) == 0 || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "battery") {
		t.Fatalf("tools/call echo with the token: %+v, %v", res, err)
	}
}

// clientsWithName lists the stored clients named name (how a test learns
// which registration method a client used).
func (d *demoServer) clientsWithName(name string) []string {
	d.t.Helper()
	out := d.in.cli("", "clients", "list")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, name) {
			lines = append(lines, l)
		}
	}
	return lines
}

// clientBin finds an installed client's executable in
// tests/clients/node_modules/.bin, skipping locally and failing in CI
// when it is missing (CI installs it from the committed lockfile).
func clientBin(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "tests", "clients", "node_modules", ".bin"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must run scripts/ci-deps.sh npm", bin)
		}
		t.Skipf("%s is not installed; run scripts/ci-deps.sh npm to enable the client battery", bin)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node not found on PATH: %v", err)
	}
	return bin
}
