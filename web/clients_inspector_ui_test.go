package web_test

// A client of the battery: the MCP Inspector's web UI
// (@modelcontextprotocol/inspector 2.12.0, `mcp-inspector --web`) doing its
// own OAuth, driven in Chromium like a person would. See clients_test.go
// for the harness and docs/clients.md for what each client sends.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// inspectorUIVersion is the version tests/clients pins; the UI's footer
	// shows it.
	inspectorUIVersion = "2.12.0"
	// inspectorUIClientName is the client_name the Inspector's browser-side
	// OAuth provider registers with.
	inspectorUIClientName = "MCP Inspector"
	// inspectorUIServerID is the server entry the test adds in the UI.
	inspectorUIServerID = "latchkey-demo"
)

// TestClientInspectorUI: the MCP Inspector's web app, started headless
// (MCP_AUTO_OPEN_ENABLED=false) on a free loopback port with its own API
// token, opened in Chromium. In the UI the test adds a server
// (streamable-http, URL = /mcp/demo) and switches it on. The Inspector
// gets the gateway's 401, discovers Latchkey, registers dynamically (DCR)
// and sends the same tab to /authorize; the test signs in as demo and
// approves; Latchkey redirects to the Inspector's /oauth/callback, which
// exchanges the code and connects. The test then lists the tools and runs
// echo in the UI and sees its result. Asserted besides: the authorization
// request (S256, resource, scope, redirect URI), the callback (code, state,
// iss), the one stored client and what it registered, that the browser
// itself never called Latchkey with fetch/XHR (the Inspector's Node
// backend makes every OAuth and MCP request, so no CORS is involved and
// the gateway's Origin allowlist does not matter: the Inspector runs on a
// port that is not in it), and that the token the Inspector keeps works
// on its own.
func TestClientInspectorUI(t *testing.T) {
	t.Parallel()
	bin := clientBin(t, "mcp-inspector")
	d := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	start := time.Now()
	insp := startInspectorUI(t, ctx, bin)

	b := d.browser
	b.shotDir = os.Getenv("LATCHKEY_SCREENSHOTS")
	if b.shotDir == "" {
		b.shotDir = t.TempDir()
	} else if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b.shotPref = "inspector-ui-"
	reqs := watchBrowserRequests(t, b.ctx)
	defer func() { // a deferred call, not a Cleanup: t.Context, and with it the browser, ends before those
		if t.Failed() {
			inspectorUIFailureState(t, b)
		}
	}()

	// 1. The Inspector's start page, with its pinned version.
	b.do("open the Inspector", chromedp.Navigate(insp.url))
	b.do("wait for the server list", chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Add Servers"]`)))
	if got := inspectorUIText(b, `//*[normalize-space()="v`+inspectorUIVersion+`"]`); got != "v"+inspectorUIVersion {
		t.Errorf("the Inspector's footer shows %q, want v%s", got, inspectorUIVersion)
	}

	// 2. Add the server: Add Servers → + Add manually, transport
	// streamable-http, URL /mcp/demo.
	inspectorUIClick(b, "open Add Servers", `//button[normalize-space()="Add Servers"]`)
	inspectorUIClick(b, "choose + Add manually", `//*[@role="menuitem"][normalize-space()="+ Add manually"]`)
	b.do("fill the server ID", chromedp.SendKeys(chromedp.CSS(`.mantine-Modal-content input[placeholder="my-server"]`), inspectorUIServerID))
	inspectorUIClick(b, "open the transport list", `//*[contains(@class,"mantine-Modal-content")]//input[contains(@class,"mantine-Select-input")]`)
	inspectorUIClick(b, "choose streamable-http", `//*[@role="option"][normalize-space()="streamable-http"]`)
	b.do("fill the URL", chromedp.SendKeys(chromedp.CSS(`.mantine-Modal-content input[placeholder="https://example.com/mcp"]`), d.mcpURL))
	inspectorUIClick(b, "click Add", `//*[contains(@class,"mantine-Modal-content")]//button[normalize-space()="Add"]`)
	// The server's card: the nearest element around its name that holds
	// both the on/off switch and the card's buttons.
	card := `//*[normalize-space()="` + inspectorUIServerID + `"]/ancestor::*[.//input[@role="switch"] and .//button[normalize-space()="Remove"]][1]`
	b.do("wait for the server card", chromedp.WaitVisible(chromedp.Search(card+`//*[text()[contains(., "`+d.mcpURL+`")]]`)))

	// 3. Connect. The Inspector's OAuth runs in this tab: it navigates it
	// to Latchkey's /authorize (after discovery and registration, which
	// its backend does).
	inspectorUIClick(b, "switch the server on", card+`//input[@role="switch"]`)
	inspectorUIWait(b, "wait for login or consent", chromedp.WaitVisible(chromedp.CSS("#username, #approve")))
	authorizeURL := reqs.first(d.base + "/authorize?")
	if authorizeURL == "" {
		t.Fatalf("the browser reached %s without a request to %s/authorize", b.location(), d.base)
	}
	t.Logf("the Inspector opened %s", authorizeURL)
	au, _ := url.Parse(authorizeURL)
	aq := au.Query()
	redirect := insp.base + "/oauth/callback"
	for k, want := range map[string]string{
		"response_type": "code", "code_challenge_method": "S256", "resource": d.mcpURL, "redirect_uri": redirect,
		// The protected resource's scopes_supported, plus offline_access
		// because the authorization server advertises it.
		"scope": "tools:read tools:call offline_access",
		// As the TypeScript SDK does when it asks for offline_access.
		"prompt": "consent",
	} {
		if got := aq.Get(k); got != want {
			t.Errorf("authorization request %s = %q, want %q", k, got, want)
		}
	}
	if aq.Get("state") == "" || aq.Get("code_challenge") == "" || aq.Get("client_id") == "" {
		t.Errorf("authorization request %v: want a state, a code_challenge and a client_id", aq)
	}

	// 4. Sign in and approve, in the same tab.
	if strings.HasPrefix(b.location(), d.base+"/login") {
		b.do("fill the login form",
			chromedp.SendKeys(chromedp.ID("username"), "demo"),
			chromedp.SendKeys(chromedp.ID("password"), d.password),
		)
		b.do("submit login", chromedp.Click(chromedp.ID("login-submit")))
		b.do("wait for the consent page", chromedp.WaitVisible(chromedp.ID("approve")))
	}
	if got := b.text(`[data-testid="client-name"]`); got != inspectorUIClientName {
		t.Errorf("the consent page names the client %q, want %q", got, inspectorUIClientName)
	}
	if got, want := b.text(`[data-testid="redirect-host"]`), strings.TrimPrefix(insp.base, "http://"); got != want {
		t.Errorf("the consent page sends the user to %q, want %q", got, want)
	}
	b.do("click approve", chromedp.Click(chromedp.ID("approve")))

	// 5. Back on the Inspector: its callback page gets the code, and the
	// server card turns Connected.
	inspectorUIWait(b, "wait for Connected", chromedp.WaitVisible(chromedp.Search(card+`//*[normalize-space()="Connected"]`)))
	cb := reqs.first(redirect + "?")
	cu, _ := url.Parse(cb)
	if cq := cu.Query(); cb == "" || cq.Get("code") == "" || cq.Get("state") != aq.Get("state") || cq.Get("iss") != d.base {
		t.Errorf("callback %q: want a code, state %q and iss %s", cb, aq.Get("state"), d.base)
	}
	if loc := b.location(); !strings.HasPrefix(loc, insp.base+"/") {
		t.Errorf("after connecting the tab is at %s, want the Inspector (%s)", loc, insp.base)
	}

	// 6. Tools, through the gateway, in the UI: the list, then echo.
	inspectorUIClick(b, "open Tools", `//label[contains(@class,"SegmentedControl-label")][normalize-space()="Tools"]`)
	inspectorUIWait(b, "wait for the tool list", chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="tools-screen"]//button[normalize-space()="echo"]`)))
	names := run(b, "read the tool list", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="tools-screen"] button.list-item')].map(e => e.innerText.trim())`))
	for _, want := range []string{"echo", "add", "whoami"} {
		if !slices.Contains(names, want) {
			t.Errorf("the Inspector's tool list %q lacks %s", names, want)
		}
	}
	const text = "hello through the Inspector UI"
	inspectorUIClick(b, "choose echo", `//*[@data-testid="tools-screen"]//button[normalize-space()="echo"]`)
	b.do("fill text", chromedp.SendKeys(chromedp.CSS(`[data-testid="tools-screen"] input[aria-keyshortcuts="Enter"]`), text))
	inspectorUIClick(b, "click Execute Tool", `//*[@data-testid="tools-screen"]//button[normalize-space()="Execute Tool"]`)
	inspectorUIWait(b, "wait for the echo result", chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="tools-screen"]//pre[normalize-space()="`+text+`"]`)))

	// 7. The registration, from Latchkey's side: one client, DCR, with the
	// Inspector's own web origin as redirect URI. (It would use a client
	// ID metadata document only if one were configured in its settings.)
	clientID := aq.Get("client_id")
	rows := strings.Split(strings.TrimSpace(d.in.cli("", "clients", "list")), "\n")[1:]
	if named := d.clientsWithName(inspectorUIClientName); len(rows) != 1 || len(named) != 1 || !strings.HasPrefix(rows[0], clientID+" ") {
		t.Errorf("stored clients:\n%s\nwant exactly one, %s named %q", strings.Join(rows, "\n"), clientID, inspectorUIClientName)
	}
	show := clientFields(d.in.cli("", "clients", "show", clientID))
	for field, want := range map[string]string{
		"source":                     "dcr",
		"client_name":                inspectorUIClientName,
		"token_endpoint_auth_method": "none",
		"redirect_uris":              redirect,
		"grant_types":                "authorization_code refresh_token",
		"response_types":             "code",
		"scope":                      "tools:read tools:call offline_access",
		"client_uri":                 "https://github.com/modelcontextprotocol/inspector",
	} {
		if show[field] != want {
			t.Errorf("clients show %s: %s = %q, want %q", clientID, field, show[field], want)
		}
	}

	// 8. No CORS: every request the browser sent to Latchkey was a page
	// load (documents and their assets, an icon), none a fetch or XHR.
	for _, r := range reqs.all() {
		if strings.HasPrefix(r.url, d.base) && slices.Contains([]string{"Fetch", "XHR", "Preflight", "EventSource", "WebSocket"}, r.kind) {
			t.Errorf("the browser itself called Latchkey: %s %s (%s)", r.method, r.url, r.kind)
		}
	}

	// 9. What the Inspector keeps (in its backend's OAuth store): an
	// access token the gateway accepts on its own, and a refresh token.
	tok := insp.oauthTokens(t, d.mcpURL, d.base)
	if tok.AccessToken == "" || tok.RefreshToken == "" || !strings.EqualFold(tok.TokenType, "bearer") || tok.Scope != "tools:read tools:call offline_access" {
		t.Errorf("the Inspector keeps tokens %+v; want an access and a refresh token for tools:read tools:call offline_access", tok)
	}
	if tok.AccessToken != "" {
		d.checkToken(ctx, tok.AccessToken)
	}
	t.Logf("%s: Inspector %s web UI: DCR + OAuth in the tab + tools/list and echo in %s", t.Name(), inspectorUIVersion, time.Since(start).Round(time.Millisecond))
}

// inspectorUI is one running `mcp-inspector --web`.
type inspectorUI struct {
	base  string // its web origin, http://127.0.0.1:<port>
	url   string // the start page, with the API token
	token string // its API token (the x-mcp-remote-auth bearer)
}

// startInspectorUI starts the Inspector's web app on a free loopback port
// (CLIENT_PORT must be fixed; the sandbox and app-origin servers get OS
// ports), without opening a browser, with a fresh HOME and storage and
// secrets kept in memory, and waits until it serves.
func startInspectorUI(t *testing.T, ctx context.Context, bin string) *inspectorUI {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	home := t.TempDir()
	token := strings.Repeat("i", 32)
	cmd := exec.CommandContext(ctx, bin, "--web")
	cmd.Env = clientEnv(bin, "HOME="+home, "MCP_STORAGE_DIR="+filepath.Join(home, "storage"),
		"HOST=127.0.0.1", "CLIENT_PORT="+port, "MCP_SANDBOX_PORT=0", "MCP_APP_ORIGIN_PORT=0",
		"MCP_AUTO_OPEN_ENABLED=false", "MCP_INSPECTOR_API_TOKEN="+token, "MCP_INSPECTOR_SECRET_STORE=memory")
	cmd.Dir = home
	cmd.WaitDelay = 5 * time.Second
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Inspector: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mcp-inspector --web output:\n%s", logs.String())
		}
	})
	in := &inspectorUI{base: "http://" + addr, url: "http://" + addr + "/?MCP_INSPECTOR_API_TOKEN=" + token, token: token}
	for {
		if strings.Contains(logs.String(), "MCP Inspector Web is up and running at") {
			if resp, err := http.Get(in.base + "/"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return in
				}
			}
		}
		select {
		case <-exited:
			t.Fatalf("the Inspector exited before it served:\n%s", logs.String())
		case <-ctx.Done():
			t.Fatalf("the Inspector did not serve on %s: %v\n%s", addr, ctx.Err(), logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// inspectorTokens is the token set the Inspector saved for a server.
type inspectorTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
}

// oauthTokens reads the tokens the Inspector saved for serverURL from
// its backend's OAuth store (GET /api/storage/oauth: servers → URL →
// byIssuer → issuer → tokens).
func (in *inspectorUI) oauthTokens(t *testing.T, serverURL, issuer string) inspectorTokens {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.base+"/api/storage/oauth", nil)
	req.Header.Set("x-mcp-remote-auth", "Bearer "+in.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reading the Inspector's OAuth store: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var store struct {
		Servers map[string]struct {
			ByIssuer map[string]struct {
				ClientRegistrationKind string          `json:"clientRegistrationKind"`
				Tokens                 inspectorTokens `json:"tokens"`
			} `json:"byIssuer"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(raw, &store); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("the Inspector's OAuth store: %s %s (%v)", resp.Status, raw, err)
	}
	entry, ok := store.Servers[serverURL].ByIssuer[issuer]
	if !ok {
		t.Errorf("the Inspector's OAuth store has nothing for %s at %s: %s", serverURL, issuer, raw)
	}
	if entry.ClientRegistrationKind != "dcr" {
		t.Errorf("the Inspector's OAuth store records registration %q, want dcr", entry.ClientRegistrationKind)
	}
	return entry.Tokens
}

// browserRequest is one request the tab sent (Network.requestWillBeSent).
type browserRequest struct {
	method, url, kind string
}

type browserRequests struct {
	mu   sync.Mutex
	reqs []browserRequest
}

// watchBrowserRequests records every request the tab sends from now on,
// redirects included (each hop is its own event), so the test sees the
// authorization URL the Inspector navigated to even though Latchkey
// answers it with a redirect to the login page.
func watchBrowserRequests(t *testing.T, ctx context.Context) *browserRequests {
	t.Helper()
	l := &browserRequests{}
	_, err := chromedp.Run(ctx, chromedp.Action[chromedp.Void](func(_ context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		ch, stop := tg.Subscribe("Network.requestWillBeSent")
		t.Cleanup(stop) // closes ch
		go func() {
			for raw := range ch {
				var ev struct {
					Type    string `json:"type"`
					Request struct {
						URL    string `json:"url"`
						Method string `json:"method"`
					} `json:"request"`
				}
				if json.Unmarshal(raw, &ev) == nil {
					l.mu.Lock()
					l.reqs = append(l.reqs, browserRequest{method: ev.Request.Method, url: ev.Request.URL, kind: ev.Type})
					l.mu.Unlock()
				}
			}
		}()
		return chromedp.Void{}, nil
	}))
	if err != nil {
		t.Fatalf("watching the tab's requests: %v", err)
	}
	return l
}

// first returns the URL of the first request whose URL starts with
// prefix, or "".
func (l *browserRequests) first(prefix string) string {
	for _, r := range l.all() {
		if strings.HasPrefix(r.url, prefix) {
			return r.url
		}
	}
	return ""
}

func (l *browserRequests) all() []browserRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// inspectorUIClick clicks the element an XPath finds once it has kept its
// place on the page for a moment, so that the click lands on it and not
// where it was while the page scrolled or its layout settled (the server
// list scrolls to a new card; the header grows tabs on connecting).
func inspectorUIClick(b *browserFlow, name, xpath string) {
	b.t.Helper()
	b.do(name+": wait for it", chromedp.WaitVisible(chromedp.Search(xpath)))
	var last []float64
	deadline := time.Now().Add(stepTimeout)
	for {
		box := run(b, "locate "+xpath, chromedp.Dimensions(chromedp.Search(xpath)))
		if slices.Equal(box.Border, last) {
			b.do(name, chromedp.Click(chromedp.Search(xpath)))
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s keeps moving (at %v)", xpath, box.Border)
		}
		last = box.Border
		time.Sleep(150 * time.Millisecond)
	}
}

// inspectorUIWait is browserFlow.do with room for the round trips behind
// a step (the Inspector's backend discovering, registering, exchanging
// the code, or calling the gateway), which a loaded machine can stretch
// past stepTimeout.
func inspectorUIWait(b *browserFlow, name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (browser at %s)", name, err, b.location())
	}
}

// inspectorUIText reads the text of the element an XPath finds.
func inspectorUIText(b *browserFlow, xpath string) string {
	b.t.Helper()
	return run(b, "read "+xpath, chromedp.Text(chromedp.Search(xpath)))
}

// inspectorUIFailureState logs where the tab is and what it shows, and
// saves a screenshot; best effort, since the browser may be gone.
func inspectorUIFailureState(t *testing.T, b *browserFlow) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("reading the page after the failure: %v", err)
	}
	t.Logf("the tab is at %s and shows:\n%s", loc, text)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot after the failure: %v", err)
		return
	}
	path := filepath.Join(b.shotDir, b.shotPref+"failure.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("saving the screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}
