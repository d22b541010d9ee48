package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// consoleShots is where the console tests write their screenshots: the
// LATCHKEY_SCREENSHOTS folder, else tmp/screenshots in the repository (git
// ignores it). docs/screenshots holds copies the README shows.
func consoleShots(t *testing.T) string {
	dir := os.Getenv("LATCHKEY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "tmp", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// consoleBrowser opens Chromium on a fresh Latchkey, accepting the confirm
// dialogs the console's dangerous buttons raise (and recording them).
func consoleBrowser(t *testing.T) (*browserFlow, *[]string) {
	cons := newConsoleLog()
	ctx := newBrowser(t, cons)
	e := newEnv(t, dbtest.SQLite(t))
	var mu sync.Mutex
	var dialogs []string
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, ev.Message)
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return &browserFlow{t: t, ctx: ctx, e: e, cons: cons, shotDir: consoleShots(t), shotPref: "console-"}, &dialogs
}

// signIn fills the login form the browser was sent to.
func (b *browserFlow) signIn(username, password string) {
	b.t.Helper()
	b.do("wait for login", chromedp.WaitVisible(chromedp.ID("username")))
	b.do("sign in", chromedp.SendKeys(chromedp.ID("username"), username), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
}

// open navigates and waits for an element.
func (b *browserFlow) open(path, waitFor string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.e.issuer+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// flash waits for the flash message of the page a form redirected to and
// returns its text. The redirect may still be replacing the document when
// the element first appears, so a read that loses its document is retried.
func (b *browserFlow) flash(want string) string {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		got := b.settledText(`[data-testid="flash"]`)
		if strings.Contains(got, want) || time.Now().After(deadline) {
			return got // the caller reports a mismatch
		}
		time.Sleep(50 * time.Millisecond) // still the previous page's flash
	}
}

// settledText waits for sel and reads its text, retrying while the page is
// still being replaced.
func (b *browserFlow) settledText(sel string) string {
	b.t.Helper()
	var last error
	for range 20 {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
		var text string
		if err == nil {
			text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		}
		cancel()
		if err == nil {
			return text
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("read %s: %v (browser at %s)", sel, last, b.location())
	return ""
}

// TestConsoleBrowserAdmin: an operator, in Chromium, signs in, reads the
// dashboard, publishes an MCP server (after a validation error shown next
// to the field), creates a client and copies its secret, revokes a user's
// grant, rotates the signing key and finds the audit entries.
func TestConsoleBrowserAdmin(t *testing.T) {
	b, dialogs := consoleBrowser(t)
	e := b.e
	ctx := context.Background()
	e.addUser("root", "root password 1", true)
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "notes", "")
	e.exchange(reg.ClientID, code, cb, verifier)
	up := newEchoUpstream(t)
	e.addRoute("echo", up.srv.URL+"/mcp")
	for range 3 { // some gateway traffic for the charts
		tok, _ := e.mintToken(e.user.ID, "echo", "")
		resp := e.mcpPost("echo", tok, nil)
		resp.Body.Close()
	}
	time.Sleep(150 * time.Millisecond) // metrics flush

	b.do("open /admin", chromedp.Navigate(e.issuer+"/admin"))
	b.signIn("root", "root password 1")
	if got := b.settledText(`[data-testid="stat-Users"]`); !strings.HasPrefix(strings.TrimSpace(got), "2") {
		t.Errorf("users stat = %q, want 2", got)
	}
	if got := b.text(`[data-testid="total-echo"]`); got != "3" {
		t.Errorf("gateway requests of echo = %q, want 3", got)
	}
	b.screenshot("dashboard.png")

	b.open("/admin/routes/new", "#name")
	b.do("fill the route form with a bad upstream", chromedp.SendKeys(chromedp.ID("name"), "weather"),
		chromedp.SendKeys(chromedp.ID("title"), "Weather"), chromedp.SendKeys(chromedp.ID("upstream"), "ftp://nope"),
		chromedp.SendKeys(chromedp.ID("scopes"), "weather:read"), chromedp.Click(chromedp.CSS(`[data-testid="save-route"]`)),
		chromedp.WaitVisible(chromedp.ID("err-upstream")))
	if got := b.text("#err-upstream"); !strings.Contains(got, "http or https") {
		t.Errorf("upstream error = %q", got)
	}
	if b.value("name") != "weather" {
		t.Error("the form lost the name typed")
	}
	b.screenshot("route-form-error.png")
	b.do("fix the upstream", chromedp.SetValue(chromedp.ID("upstream"), up.srv.URL+"/mcp"), chromedp.Click(chromedp.CSS(`[data-testid="save-route"]`)))
	if got := b.flash("Published at"); !strings.Contains(got, "Published at "+e.resource("weather")) {
		t.Errorf("flash after publishing = %q", got)
	}
	b.do("test connectivity", chromedp.Click(chromedp.CSS(`form[action="/admin/routes/weather/test"] button`)))
	if got := b.flash("HTTP 200"); !strings.Contains(got, "HTTP 200") {
		t.Errorf("connectivity test = %q", got)
	}
	b.open("/admin/routes", `[data-testid="routes"]`)
	if !strings.Contains(b.text(`[data-testid="routes"]`), "Weather") {
		t.Error("the new route is not listed")
	}
	b.screenshot("routes.png")

	b.open("/admin/clients/new", "#name")
	b.do("create a client", chromedp.SendKeys(chromedp.ID("name"), "Build bot"),
		chromedp.SendKeys(chromedp.ID("redirect_uris"), "https://bot.example/cb"), chromedp.Click(chromedp.CSS(`[data-testid="create-client"]`)))
	b.flash("Client created")
	if secret := b.text(`[data-testid="flash-secret"]`); !strings.HasPrefix(secret, oauth.PrefixClientSecret) {
		t.Errorf("secret shown = %q", secret)
	}
	b.screenshot("client-created.png")
	b.open("/admin/clients", `[data-testid="clients"]`)
	b.screenshot("clients.png")

	grants, _ := e.store.ListGrants(ctx, e.user.ID, reg.ClientID)
	b.open("/admin/tokens", `[data-testid="grants"]`)
	b.screenshot("tokens.png")
	b.do("revoke alice's grant", chromedp.Click(chromedp.CSS(`[data-testid="grant-`+grants[0].ID+`"] button`)))
	if got := b.flash("Grant revoked"); !strings.Contains(got, "Grant revoked") {
		t.Errorf("flash after revoking = %q", got)
	}
	if g, _ := e.store.GetGrant(ctx, grants[0].ID); g.RevokedAt == nil {
		t.Fatal("the grant was not revoked")
	}

	before := e.provider.Keys().ActiveKeyID()
	b.open("/admin/keys", `[data-testid="keys"]`)
	b.do("rotate", chromedp.Click(chromedp.CSS(`form[action="/admin/keys/rotate"] button`)))
	b.flash("New signing key")
	after := e.provider.Keys().ActiveKeyID()
	if status := b.text(`[data-testid="key-status-` + after + `"]`); after == before || !strings.EqualFold(status, "active") {
		t.Errorf("after rotation the active key is %s (was %s), shown as %q", after, before, status)
	}
	b.screenshot("keys.png")

	b.open("/admin/users", `[data-testid="users"]`)
	b.screenshot("users.png")
	b.open("/admin/trust", `[data-testid="save-mode"]`)
	b.screenshot("trust.png")
	b.open("/admin/audit?q=root", `[data-testid="audit"]`)
	audit := b.text(`[data-testid="audit"]`)
	for _, want := range []string{"route.create", "weather", "client.create", "token.revoke", "key.rotate", "login.success"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	b.screenshot("audit.png")
	if len(*dialogs) < 2 {
		t.Errorf("confirm dialogs = %v; the revoke and rotate buttons must ask first", *dialogs)
	}
	b.checkNoCSPViolations()
}

// TestConsoleBrowserUser: a user cannot reach /admin (403) and revokes an
// app they authorized from /account; a wrong current password is shown
// next to its field.
func TestConsoleBrowserUser(t *testing.T) {
	b, _ := consoleBrowser(t)
	e := b.e
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "notes", "")
	e.exchange(reg.ClientID, code, cb, verifier)

	b.do("open /admin", chromedp.Navigate(e.issuer+"/admin"))
	b.signIn("alice", e.password)
	if got := b.settledText(`[data-testid="error-message"]`); !strings.Contains(got, "for administrators") ||
		!strings.Contains(b.text(`[data-testid="error-status"]`), "403") {
		t.Errorf("alice on /admin sees %q", got)
	}
	b.screenshot("forbidden.png")

	b.open("/account", `[data-testid="apps"]`)
	if !strings.Contains(b.text(`[data-testid="apps"]`), "Test Client") {
		t.Fatal("the authorized app is not listed")
	}
	b.screenshot("account.png")
	// Phone width: the navigation folds above the page; nothing overflows.
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.issuer+"/account"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="apps"]`)))
	if w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the account page is %d px wide at phone width (%v)", w, err)
	}
	b.screenshot("account-phone.png")
	b.do("desktop viewport", chromedp.EmulateReset(), chromedp.Navigate(e.issuer+"/account"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="apps"]`)))
	b.do("revoke the app", chromedp.Click(chromedp.CSS(`[data-testid="app-Test Client"] button`)))
	if got := b.flash("Access revoked"); !strings.Contains(got, "Access revoked") {
		t.Errorf("flash = %q", got)
	}
	b.do("wait for the empty list", chromedp.WaitVisible(chromedp.CSS(`[data-testid="empty"]`)))
	grants, _ := e.store.ListGrants(context.Background(), e.user.ID, reg.ClientID)
	for _, g := range grants {
		if g.RevokedAt == nil {
			t.Fatal("a grant survived the user's revoke")
		}
	}

	b.open("/account/password", "#current")
	b.do("wrong current password", chromedp.SendKeys(chromedp.ID("current"), "not it"),
		chromedp.SendKeys(chromedp.ID("new"), "a new password"), chromedp.SendKeys(chromedp.ID("confirm"), "a new password"),
		chromedp.Click(chromedp.CSS(`[data-testid="change-password"]`)), chromedp.WaitVisible(chromedp.ID("err-current")))
	b.screenshot("password-error.png")
	b.checkNoCSPViolations()
}
