package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// The TypeScript SDK end-to-end test needs Node.js and tests/js/node_modules
// (scripts/ci-deps.sh npm runs `npm ci` there) plus Chromium. Without them it
// skips locally and fails in CI (CI=true).

const tsSDKTimeout = 90 * time.Second

// TestTypeScriptSDKEndToEnd: the official TypeScript MCP SDK client starts
// from nothing but the gateway URL of a route and, through Latchkey, reaches
// the reference "everything" server: 401 → protected resource metadata → AS
// metadata → dynamic registration → authorization in a real browser (login,
// consent) → code exchange → tools/list and tools/call → a forced refresh.
func TestTypeScriptSDKEndToEnd(t *testing.T) {
	tsFlow(t, "", nil)
}

// TestTypeScriptSDKMetadataDocumentClient (AS-5..AS-10): the same flow with
// the SDK configured with a client ID metadata document URL (clientMetadataUrl)
// at https://localhost:PORT, over TLS on loopback: the SDK uses the URL as
// client_id instead of registering, and Latchkey resolves the host with the
// system resolver, fetches and validates the document.
func TestTypeScriptSDKMetadataDocumentClient(t *testing.T) {
	d := newDocServerAt(t, "localhost")
	id := d.put("/oauth/ts-client.json", map[string]any{"client_name": "TypeScript SDK E2E",
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"}})
	tsFlow(t, id, d)
}

// tsFlow runs tests/js/client.mjs against a fresh Latchkey in front of the
// everything server; metadataURL, when set, is the SDK's clientMetadataUrl
// served by d.
func tsFlow(t *testing.T, metadataURL string, d *docServer) {
	node, jsDir := requireNodeModules(t, "@modelcontextprotocol/sdk", "@modelcontextprotocol/server-everything")
	cons := newConsoleLog()
	bctx := newBrowser(t, cons) // skips or fails without Chromium
	ctx, cancel := context.WithTimeout(t.Context(), tsSDKTimeout)
	defer cancel()
	start := time.Now()

	upstream := startEverythingServer(t, ctx, node, jsDir)
	var e *env
	if d != nil {
		e = cimdEnv(t, d)
	} else {
		e = newEnv(t, dbtest.SQLite(t))
	}
	e.addRoute("everything", upstream, "tools:read", "tools:call")
	mcpURL := e.resource("everything")

	args := []string{mcpURL, "0"}
	if metadataURL != "" {
		args = append(args, metadataURL)
	}
	run := runNodeClient(t, ctx, node, jsDir, args, nil, func(authorizeURL string) {
		approveInBrowser(t, &browserFlow{t: t, ctx: bctx, e: e, cons: cons}, authorizeURL, metadataURL, mcpURL)
	})
	httpLines, results, callback, refreshed, authorize := run.httpLines, run.results, run.callback, run.refreshed, run.authorize
	t.Logf("TypeScript SDK flow finished in %s", time.Since(start).Round(time.Millisecond))

	// Discovery went the MCP way, from the bare URL.
	prm := e.issuer + "/.well-known/oauth-protected-resource/mcp/everything"
	wantHTTP := func(what string, ok func(method, u string, status int, rest string) bool) {
		t.Helper()
		for _, l := range httpLines {
			f := strings.SplitN(l, " ", 4)
			if len(f) < 3 {
				continue
			}
			status, _ := strconv.Atoi(f[2])
			rest := ""
			if len(f) == 4 {
				rest = f[3]
			}
			if ok(f[0], f[1], status, rest) {
				return
			}
		}
		t.Errorf("no request for %s among:\n  %s", what, strings.Join(httpLines, "\n  "))
	}
	wantHTTP("the 401 challenge with resource_metadata", func(m, u string, s int, rest string) bool {
		return m == "POST" && u == mcpURL && s == 401 && strings.Contains(rest, `resource_metadata="`+prm+`"`)
	})
	wantHTTP("the protected resource metadata", func(m, u string, s int, _ string) bool {
		return m == "GET" && u == prm && s == 200
	})
	wantHTTP("the authorization server metadata", func(m, u string, s int, _ string) bool {
		return m == "GET" && strings.HasPrefix(u, e.issuer+"/.well-known/") && strings.Contains(u, "authorization-server") && s == 200
	})
	if metadataURL == "" {
		wantHTTP("dynamic registration", func(m, u string, s int, _ string) bool {
			return m == "POST" && u == e.issuer+"/register" && s == 201
		})
	}
	for _, l := range httpLines {
		if metadataURL != "" && strings.Contains(l, e.issuer+"/register") {
			t.Errorf("the SDK registered although it has a metadata document: %s", l)
		}
	}
	tokenCalls := 0
	for _, l := range httpLines {
		if strings.HasPrefix(l, "POST "+e.issuer+"/token 200") {
			tokenCalls++
		}
	}
	if tokenCalls < 2 {
		t.Errorf("%d successful token requests, want 2 (code exchange and refresh):\n  %s", tokenCalls, strings.Join(httpLines, "\n  "))
	}

	if authorize != 1 {
		t.Errorf("AUTHORIZE lines = %d, want 1", authorize)
	}
	if callback["iss"] != e.issuer || callback["code"] == "" || callback["state"] == "" {
		t.Errorf("callback query = %v; want code, state and iss=%s", callback, e.issuer)
	}

	// The client registered itself (DCR) with what the SDK sent, or is
	// known by its document.
	clients, err := e.store.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var found *oauth.Client
	for _, c := range clients {
		if c.Name == "TypeScript SDK E2E" {
			found = c
		}
	}
	switch {
	case found == nil:
		t.Errorf("no client named %q among %d clients", "TypeScript SDK E2E", len(clients))
	case metadataURL != "" && (found.Source != oauth.SourceCIMD || found.ID != metadataURL || found.LastUsedAt == nil):
		t.Errorf("metadata-document client = %+v; want source cimd, client_id %s, used", found, metadataURL)
	case metadataURL == "" && (found.Source != oauth.SourceDCR || len(found.RedirectURIs) != 1 || !strings.HasPrefix(found.RedirectURIs[0], "http://127.0.0.1:")):
		t.Errorf("DCR client = %+v", found)
	}

	// MCP through the gateway, and the refresh.
	var tools []string
	if err := json.Unmarshal([]byte(results["tools"]), &tools); err != nil || !slices.Contains(tools, "echo") {
		t.Errorf("tools = %q (%v); want a list containing echo", results["tools"], err)
	}
	if !strings.Contains(results["echo"], "Echo: hello") || strings.Contains(results["echo"], `"isError":true`) {
		t.Errorf("echo result = %q; want it to echo hello", results["echo"])
	}
	if !strings.Contains(results["echo-after-refresh"], "Echo: hello again") {
		t.Errorf("echo after refresh = %q; want it to echo hello again", results["echo-after-refresh"])
	}
	if refreshed != "true" {
		t.Errorf("REFRESHED = %q, want true", refreshed)
	}
}

// nodeRun is what tests/js/client.mjs reported.
type nodeRun struct {
	httpLines []string
	results   map[string]string
	callback  map[string]string
	refreshed string
	authorize int
}

// runNodeClient runs tests/js/client.mjs with args (and extra environment),
// answering its AUTHORIZE line with approve, and collects its report.
func runNodeClient(t *testing.T, ctx context.Context, node, jsDir string, args, env []string, approve func(string)) nodeRun {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, append([]string{"client.mjs"}, args...)...)
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node client: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("node client stderr:\n%s", stderr.String())
		}
	})
	run := nodeRun{results: map[string]string{}}
	var lines []string // every stdout line, for the failure message
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		t.Logf("node: %s", line)
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "HTTP":
			run.httpLines = append(run.httpLines, rest)
		case "AUTHORIZE":
			run.authorize++
			if run.authorize > 1 {
				t.Fatalf("client asked for authorization a second time: %s", rest)
			}
			approve(rest)
		case "CALLBACK":
			if err := json.Unmarshal([]byte(rest), &run.callback); err != nil {
				t.Fatalf("CALLBACK line %q: %v", rest, err)
			}
		case "RESULT":
			name, v, _ := strings.Cut(rest, " ")
			run.results[name] = v
		case "REFRESHED":
			run.refreshed = rest
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("reading node stdout: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node client: %v (ctx: %v)\nstdout:\n  %s", err, ctx.Err(), strings.Join(lines, "\n  "))
	}
	return run
}

// approveInBrowser opens the authorization URL the SDK built, signs in as
// alice, approves, and waits until the browser shows the node callback page.
func approveInBrowser(t *testing.T, b *browserFlow, authorizeURL, metadataURL, resource string) {
	t.Helper()
	u, err := url.Parse(authorizeURL)
	if err != nil || !strings.HasPrefix(authorizeURL, b.e.issuer+"/authorize?") {
		t.Fatalf("authorization URL %q is not Latchkey's /authorize (%v)", authorizeURL, err)
	}
	q := u.Query()
	if metadataURL != "" && q.Get("client_id") != metadataURL {
		t.Errorf("authorization request client_id = %q, want the metadata URL %s", q.Get("client_id"), metadataURL)
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("resource") != resource {
		t.Errorf("authorization request = %v; want S256 PKCE and resource=%s", q, resource)
	}
	redirect := q.Get("redirect_uri")

	b.do("open authorize", chromedp.Navigate(authorizeURL))
	b.do("wait for login form", chromedp.WaitVisible(chromedp.ID("username")))
	b.do("fill login form",
		chromedp.SendKeys(chromedp.ID("username"), b.e.user.Username),
		chromedp.SendKeys(chromedp.ID("password"), b.e.password),
	)
	b.do("submit login", chromedp.Click(chromedp.ID("login-submit")))
	b.do("wait for consent page", chromedp.WaitVisible(chromedp.ID("approve")))
	if got := b.text(`[data-testid="client-name"]`); got != "TypeScript SDK E2E" {
		t.Errorf("consent page client-name = %q", got)
	}
	if metadataURL != "" {
		mu, _ := url.Parse(metadataURL)
		if got := b.text(`[data-testid="metadata-host"]`); got != mu.Host {
			t.Errorf("consent page metadata-host = %q, want %s (AS-13)", got, mu.Host)
		}
	}
	b.do("click approve", chromedp.Click(chromedp.ID("approve")))
	b.do("wait for callback page", chromedp.WaitVisible(chromedp.CSS("body > pre")))
	if got := b.text("body > pre"); got != "done" {
		t.Errorf("callback page shows %q, want done", got)
	}
	if loc := b.location(); !strings.HasPrefix(loc, redirect+"?") {
		t.Errorf("browser ended at %s, want %s?…", loc, redirect)
	}
	b.checkNoCSPViolations()
}

// requireNodeModules finds node and tests/js with the given packages
// installed, skipping locally and failing in CI when they are missing.
func requireNodeModules(t *testing.T, pkgs ...string) (node, dir string) {
	t.Helper()
	missing := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI must run scripts/ci-deps.sh npm", msg)
		}
		t.Skipf("%s; install Node.js 20+ and run `npm ci` in tests/js (or scripts/ci-deps.sh npm) to enable this test", msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found on PATH")
	}
	dir, err = filepath.Abs(filepath.Join("..", "tests", "js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
			missing("tests/js/node_modules/" + p + " is not installed")
		}
	}
	return node, dir
}

// startEverythingServer runs the reference MCP "everything" server over
// Streamable HTTP on a free loopback port and returns its MCP endpoint.
func startEverythingServer(t *testing.T, ctx context.Context, node, jsDir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cmd := exec.CommandContext(ctx, node, "loopback.mjs", "node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp")
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	cmd.WaitDelay = 2 * time.Second
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting server-everything: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("server-everything output:\n%s", logs.String())
		}
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr + "/mcp"
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("server-everything exited before listening: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("server-everything not listening on %s: %v\n%s", addr, ctx.Err(), logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// lockedBuffer is an io.Writer safe for a child process's output goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
