package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// Browser tests drive a real headless Chromium through authorize → login →
// consent → redirect to a loopback client, under the real CSP. They need
// Chromium: CHROMIUM_PATH, else "chromium" on PATH. Without it they skip
// locally and fail in CI (CI=true), which installs it.

const browserTimeout = 60 * time.Second

// stepTimeout bounds one DOM read on a page that is already loaded, so a
// missing element fails fast with its name instead of at the test deadline.
const stepTimeout = 10 * time.Second

// TestBrowserLoginAndConsent approves in the browser and checks that the
// client's callback receives a code that the token endpoint accepts.
func TestBrowserLoginAndConsent(t *testing.T) {
	b := newBrowserFlow(t, "")
	b.toConsent()

	b.do("click approve", chromedp.Click(chromedp.ID("approve")))
	q := b.waitCallback()
	if code := q.Get("code"); !strings.HasPrefix(code, oauth.PrefixCode) {
		t.Fatalf("callback query = %v; want a code with prefix %q", q, oauth.PrefixCode)
	}
	if q.Get("error") != "" {
		t.Fatalf("callback query = %v; want no error", q)
	}
	b.checkStateAndIss(q)
	b.checkLandedOnCallback()
	b.checkNoCSPViolations()

	resp, tok := b.e.exchange(b.clientID, q.Get("code"), b.redirect, b.ap.verifier)
	wantStatus(t, resp, http.StatusOK)
	if at, _ := tok["access_token"].(string); at == "" {
		t.Fatalf("token response = %v; want an access_token", tok)
	}
	if tok["token_type"] != "Bearer" || tok["scope"] != "files:read" {
		t.Errorf("token response = %v; want a Bearer token for files:read", tok)
	}
}

// TestBrowserDeny denies in the browser and checks that the client's callback
// receives access_denied with state and iss.
func TestBrowserDeny(t *testing.T) {
	b := newBrowserFlow(t, "deny-")
	b.toConsent()

	b.do("click deny", chromedp.Click(chromedp.ID("deny")))
	q := b.waitCallback()
	if q.Get("error") != "access_denied" || q.Has("code") {
		t.Fatalf("callback query = %v; want error=access_denied and no code", q)
	}
	b.checkStateAndIss(q)
	b.checkLandedOnCallback()
	b.checkNoCSPViolations()
}

// TestBrowserCSPDetector proves that the console listener the tests above rely
// on does see CSP violations: a page with a strict policy and an inline
// script must produce one.
func TestBrowserCSPDetector(t *testing.T) {
	cons := newConsoleLog()
	ctx := newBrowser(t, cons)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>csp</title><p id="x">x</p><script>document.title="ran"</script>`))
	}))
	t.Cleanup(bad.Close)

	if err := chromedp.Do(ctx, chromedp.Navigate(bad.URL), chromedp.WaitVisible(chromedp.ID("x"))); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-cons.csp:
		t.Logf("detector saw: %s", msg)
	case <-ctx.Done():
		t.Fatalf("no CSP violation reported for a blocked inline script; console: %q", cons.all())
	}
}

// browserFlow is one browser tab walking one authorization request.
type browserFlow struct {
	t        *testing.T
	ctx      context.Context
	e        *env
	cons     *consoleLog
	shotPref string
	shotDir  string

	cb       *httptest.Server
	cbHost   string
	got      chan url.Values
	redirect string
	clientID string
	ap       authParams
}

func newBrowserFlow(t *testing.T, shotPrefix string) *browserFlow {
	t.Helper()
	cons := newConsoleLog()
	ctx := newBrowser(t, cons)
	e := newEnv(t, dbtest.SQLite(t))

	b := &browserFlow{t: t, ctx: ctx, e: e, cons: cons, shotPref: shotPrefix, got: make(chan url.Values, 1)}
	b.shotDir = os.Getenv("LATCHKEY_SCREENSHOTS")
	if b.shotDir == "" {
		b.shotDir = t.TempDir()
	} else if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The client's loopback callback: records the first query it gets.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		select {
		case b.got <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("done"))
	})
	b.cb = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(b.cb.Close)
	b.cbHost = b.cb.Listener.Addr().String()
	b.redirect = "http://" + b.cbHost + "/cb"

	reg := e.registerPublic(b.redirect)
	b.clientID = reg.ClientID
	if reg.ClientName != "Test Client" {
		t.Fatalf("registered client_name = %q", reg.ClientName)
	}
	b.ap = e.authParams(b.clientID, b.redirect, "files", "files:read")
	return b
}

// newBrowser starts a fresh headless Chromium for the test and returns its
// tab's context, which ends at the test deadline or when the test ends.
func newBrowser(t *testing.T, cons *consoleLog) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (set CHROMIUM_PATH); CI must install it")
		}
		t.Skip("chromium not found; set CHROMIUM_PATH to run browser tests")
	}

	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(cons.listen))
	t.Cleanup(func() {
		cancelTab()
		if !t.Failed() {
			return
		}
		if msgs := cons.all(); len(msgs) > 0 {
			t.Logf("browser console:\n  %s", strings.Join(msgs, "\n  "))
		}
	})
	// Start the browser now, bound to ctx, so a failure to launch is reported
	// as such.
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("starting chromium %s: %v", path, err)
	}
	return tctx
}

// toConsent navigates to /authorize, signs in on the login page and waits
// for the consent page, asserting what it shows.
func (b *browserFlow) toConsent() {
	t := b.t
	t.Helper()
	b.do("open authorize", chromedp.Navigate(b.e.issuer+"/authorize?"+b.ap.Encode()))
	b.do("wait for login form", chromedp.WaitVisible(chromedp.ID("username")))
	if loc := b.location(); !strings.HasPrefix(loc, b.e.issuer+"/login?") {
		t.Fatalf("login page URL = %s", loc)
	}
	b.screenshot("login.png")
	b.do("fill login form",
		chromedp.SendKeys(chromedp.ID("username"), b.e.user.Username),
		chromedp.SendKeys(chromedp.ID("password"), b.e.password),
	)
	if v := b.value(chromedp.ID("username")); v != b.e.user.Username {
		t.Fatalf("username field = %q after typing", v)
	}
	b.do("submit login", chromedp.Click(chromedp.ID("login-submit")))
	b.do("wait for consent page", chromedp.WaitVisible(chromedp.ID("approve")))
	if loc := b.location(); !strings.HasPrefix(loc, b.e.issuer+"/consent?") {
		t.Fatalf("consent page URL = %s", loc)
	}

	if got := b.text(`[data-testid="client-name"]`); got != "Test Client" {
		t.Errorf("client-name = %q, want %q", got, "Test Client")
	}
	if got := b.text(`[data-testid="redirect-host"]`); !strings.Contains(got, b.cbHost) {
		t.Errorf("redirect-host = %q, want it to contain %q", got, b.cbHost)
	}
	b.do("loopback warning visible", chromedp.WaitVisible(chromedp.CSS(`[data-testid="loopback-warning"]`)))
	if got := b.text(`[data-testid="loopback-warning"]`); !strings.Contains(got, b.cbHost) {
		t.Errorf("loopback-warning = %q, want it to name %q", got, b.cbHost)
	}
	if got := b.text(`[data-testid="route"]`); !strings.Contains(strings.ToLower(got), "files") {
		t.Errorf("route = %q, want it to mention Files", got)
	}
	if got := b.text(`[data-testid="scope"]`); !strings.Contains(got, "files:read") {
		t.Errorf("scope = %q, want files:read", got)
	}
	if got := b.text(`[data-testid="consent-user"]`); got != b.e.user.Username {
		t.Errorf("consent-user = %q, want %q", got, b.e.user.Username)
	}
	b.screenshot("consent.png")
	if t.Failed() {
		t.FailNow()
	}
	b.checkNoCSPViolations()
}

// waitCallback waits until the client's callback got its request. A CSP
// violation (for example form-action blocking the redirect) fails at once
// rather than at the deadline.
func (b *browserFlow) waitCallback() url.Values {
	b.t.Helper()
	select {
	case q := <-b.got:
		return q
	case msg := <-b.cons.csp:
		b.t.Fatalf("CSP violation before the callback was reached: %s (page at %s)", msg, b.location())
	case <-b.ctx.Done():
		b.t.Fatalf("callback never reached: %v; browser at %s", b.ctx.Err(), b.location())
	}
	return nil
}

func (b *browserFlow) checkStateAndIss(q url.Values) {
	b.t.Helper()
	if got, want := q.Get("state"), b.ap.Get("state"); got != want {
		b.t.Errorf("callback state = %q, want %q", got, want)
	}
	if got := q.Get("iss"); got != b.e.issuer {
		b.t.Errorf("callback iss = %q, want %q", got, b.e.issuer)
	}
}

// checkLandedOnCallback asserts the browser itself shows the client's page.
func (b *browserFlow) checkLandedOnCallback() {
	b.t.Helper()
	// Chromium shows a text/plain response in a <pre>; neither Latchkey page
	// has one, so this waits for the navigation to the client to finish.
	b.do("wait for callback page", chromedp.WaitVisible(chromedp.CSS("body > pre")))
	if got := b.text("body > pre"); got != "done" {
		b.t.Errorf("callback page shows %q, want %q", got, "done")
	}
	if loc := b.location(); !strings.HasPrefix(loc, b.redirect+"?") {
		b.t.Errorf("browser ended at %s, want %s?…", loc, b.redirect)
	}
}

func (b *browserFlow) checkNoCSPViolations() {
	b.t.Helper()
	select {
	case msg := <-b.cons.csp:
		b.t.Fatalf("Content Security Policy violation logged: %s", msg)
	default:
	}
}

// do runs steps and fails the test with the step's name on error.
func (b *browserFlow) do(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (browser at %s)", name, err, b.location())
	}
}

func (b *browserFlow) text(sel string) string {
	b.t.Helper()
	return run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browserFlow) value(sel chromedp.ID) string {
	b.t.Helper()
	return run(b, "read value of #"+string(sel), chromedp.Value(sel))
}

// location reads the tab's URL; it never fails the test, because it is also
// used to describe failures.
func (b *browserFlow) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

func (b *browserFlow) screenshot(name string) {
	b.t.Helper()
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(b.shotDir, b.shotPref+name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func run[T any](b *browserFlow, name string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			b.t.Fatalf("%s: timed out after %s (browser at %s)", name, stepTimeout, b.location())
		}
		b.t.Fatalf("%s: %v", name, err)
	}
	return v
}

// consoleLog collects the tab's console and browser-log messages. listen runs
// on chromedp's reader goroutine, so it only appends and never blocks.
type consoleLog struct {
	mu   sync.Mutex
	msgs []string
	csp  chan string // messages that mention the Content Security Policy
}

func newConsoleLog() *consoleLog { return &consoleLog{csp: make(chan string, 64)} }

func (c *consoleLog) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := []string{"console." + string(ev.Type) + ":"}
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if ev.Entry == nil {
			return
		}
		msg = "log." + string(ev.Entry.Level) + " [" + string(ev.Entry.Source) + "] " + ev.Entry.Text
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	case *runtime.EventExceptionThrown:
		if ev.ExceptionDetails == nil {
			return
		}
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, msg)
	c.mu.Unlock()
	if strings.Contains(msg, "Content Security Policy") {
		select {
		case c.csp <- msg:
		default: // full: the test fails on the ones already queued
		}
	}
}

func (c *consoleLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}
