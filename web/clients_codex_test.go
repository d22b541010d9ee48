package web_test

// The OpenAI Codex CLI (@openai/codex, its native Rust binary behind a
// Node wrapper) in the client battery. See clients_test.go for the harness
// and docs/clients.md for what each client sends. This file also holds the
// small helpers the CLI-shaped clients share (a BROWSER script that hands
// URLs to the test, a child process with its output kept for the failure
// log); clients_opencode_test.go uses them too.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// codexVersion is the release tests/clients/package.json pins.
const codexVersion = "0.171.0"

// codexMetadataDocument is the client ID metadata document Codex uses as
// its client_id when the authorization server advertises support for
// them (Latchkey does by default, --client-metadata advertise).
const codexMetadataDocument = "https://chatgpt.com/oauth/codex/client.json"

// TestClientCodex: Codex CLI 0.171.0 against serve --demo, the way its
// docs tell a user to add a remote MCP server, with a private CODEX_HOME
// whose config.toml stores MCP OAuth credentials in a file
// (mcp_oauth_credentials_store = "file": no keyring here) and turns
// analytics and the update check off. The network is loopback only; the
// commands used below make no other connection (checked with strace when
// the test was written).
//
//  1. `codex mcp add lk --url …` saves the server and, having detected
//     OAuth, starts the login itself with the default strategy (auto). As
//     Latchkey advertises client ID metadata documents, Codex picks its
//     document https://chatgpt.com/oauth/codex/client.json as client_id
//     and does not register. That login is not completed: Latchkey would
//     fetch the document from chatgpt.com at /authorize, which this test
//     must not depend on (offline it cannot). The test asserts the
//     authorization request Codex built, then stops the command; the
//     server stays configured.
//  2. `codex mcp login lk --oauth-client-registration dcr`: the
//     registration method under test is dynamic client registration
//     (RFC 7591). Codex registers, opens the authorization URL through
//     $BROWSER (a script that hands it to the test), the test signs in and
//     approves in Chromium, Codex's loopback listener receives the code,
//     exchanges it and reports success.
//  3. What Codex stored: $CODEX_HOME/.credentials.json holds an access
//     token the gateway accepts on its own (tools/call echo) and a refresh
//     token; `codex mcp list --json` reports the server as OAuth-logged-in.
//  4. Codex's own MCP client with that credential: `codex app-server`
//     (JSON-RPC on stdio, no model involved) answers mcpServerStatus/list
//     with the demo's tools, which it can only know from a tools/list
//     through the gateway.
//  5. Latchkey's side: exactly one stored client named Codex, registered
//     dynamically, with the loopback redirect URI of step 2.
func TestClientCodex(t *testing.T) {
	t.Parallel()
	bin := clientBin(t, "codex")
	d := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	start := time.Now()
	t.Logf("Codex CLI %s (@openai/codex), registration under test: DCR (--oauth-client-registration dcr); default: metadata document %s", codexVersion, codexMetadataDocument)

	dir := t.TempDir()
	codexHome := filepath.Join(dir, "codex-home")
	if err := os.MkdirAll(codexHome, 0o700); err != nil {
		t.Fatal(err)
	}
	config := strings.Join([]string{
		`mcp_oauth_credentials_store = "file"`, // $CODEX_HOME/.credentials.json, not the OS keyring
		`check_for_update_on_startup = false`,
		``,
		`[analytics]`,
		`enabled = false`,
		``,
		`[features]`, // each of these makes `codex app-server` reach github.com or chatgpt.com at start-up
		`plugins = false`,
		`remote_plugin = false`,
		`apps = false`,
		``,
	}, "\n")
	if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	br := newBrowserRecorder(t)
	env := clientEnv(bin, append(br.env(),
		"CODEX_HOME="+codexHome, "HOME="+filepath.Join(dir, "home"),
		"RUST_LOG=warn", "NO_COLOR=1")...)
	const name = "lk"

	// 1. mcp add, which logs in by itself with the default strategy.
	add := startCLI(t, ctx, "codex mcp add", bin, env, dir, "mcp", "add", name, "--url", d.mcpURL)
	cimdURL := br.wait(ctx, 0, add)
	cq := authorizeQuery(t, d, cimdURL)
	if cq.Get("client_id") != codexMetadataDocument {
		t.Errorf("codex mcp add (auto): client_id = %q, want its metadata document %s (Latchkey advertises client_id_metadata_document_supported)", cq.Get("client_id"), codexMetadataDocument)
	}
	codexRedirect(t, cq.Get("redirect_uri"))
	if got := cq.Get("scope"); got != "tools:read tools:call offline_access" {
		t.Errorf("codex mcp add (auto): scope = %q, want the route's scopes plus offline_access", got)
	}
	if !strings.Contains(add.out.String(), "Added global MCP server '"+name+"'") {
		t.Errorf("codex mcp add did not report the server as added:\n%s", add.out.String())
	}
	add.stop() // the metadata-document login is not completed, see above
	if n := len(d.clientsWithName("Codex")); n != 0 {
		t.Errorf("Codex registered %d clients while using its metadata document, want none", n)
	}
	if raw, _ := os.ReadFile(filepath.Join(codexHome, "config.toml")); !strings.Contains(string(raw), "[mcp_servers."+name+"]") || !strings.Contains(string(raw), d.mcpURL) {
		t.Fatalf("config.toml after mcp add:\n%s", raw)
	}

	// 2. mcp login with dynamic registration.
	login := startCLI(t, ctx, "codex mcp login", bin, env, dir, "mcp", "login", name, "--oauth-client-registration", "dcr")
	authorizeURL := br.wait(ctx, 1, login)
	t.Logf("codex mcp login opened %s", authorizeURL)
	aq := authorizeQuery(t, d, authorizeURL)
	clientID, redirect := aq.Get("client_id"), aq.Get("redirect_uri")
	if !strings.HasPrefix(clientID, "lkc_") {
		t.Errorf("codex mcp login --oauth-client-registration dcr: client_id = %q, want a dynamically registered lkc_ client", clientID)
	}
	codexRedirect(t, redirect)
	if got := aq.Get("scope"); got != "tools:read tools:call offline_access" {
		t.Errorf("codex mcp login: scope = %q, want the route's scopes plus offline_access", got)
	}
	landed, err := url.Parse(d.approve(authorizeURL, "Codex"))
	if err != nil || !strings.HasPrefix(landed.String(), redirect+"?") || landed.Query().Get("code") == "" || landed.Query().Get("state") != aq.Get("state") {
		t.Errorf("the browser landed on %s; want %s with a code and state %q", landed, redirect, aq.Get("state"))
	}
	if err := login.wait(ctx); err != nil {
		t.Fatalf("codex mcp login: %v\n%s", err, login.out.String())
	}
	if want := "Successfully logged in to MCP server '" + name + "'"; !strings.Contains(login.out.String(), want) {
		t.Errorf("codex mcp login output lacks %q:\n%s", want, login.out.String())
	}
	if n := len(br.lines()); n != 2 {
		t.Errorf("Codex opened the browser %d times, want twice (mcp add, mcp login): %q", n, br.lines())
	}

	// 3. The stored credential, on its own and as Codex reports it.
	creds := codexCredentials(t, codexHome, name, d.mcpURL)
	if creds.AccessToken == "" || creds.RefreshToken == "" || creds.ClientID != clientID || creds.Issuer != d.base ||
		!slices.Equal(creds.Scopes, []string{"tools:read", "tools:call", "offline_access"}) {
		t.Errorf("Codex stored %+v; want an access and a refresh token for client %s of issuer %s, scopes tools:read tools:call offline_access", creds.redacted(), clientID, d.base)
	}
	if creds.AccessToken != "" {
		d.checkToken(ctx, creds.AccessToken)
	}
	list := runCLI(t, ctx, "codex mcp list", bin, env, dir, "mcp", "list", "--json")
	var servers []struct {
		Name       string `json:"name"`
		AuthStatus string `json:"auth_status"`
		Transport  struct {
			URL string `json:"url"`
		} `json:"transport"`
	}
	if err := json.Unmarshal([]byte(jsonPart(list)), &servers); err != nil || len(servers) != 1 || servers[0].Name != name || servers[0].Transport.URL != d.mcpURL || servers[0].AuthStatus != "o_auth" {
		t.Errorf("codex mcp list --json = %s (%v); want %s at %s with auth_status o_auth", list, err, name, d.mcpURL)
	}

	// 4. tools/list through Codex's own MCP client, via the app server.
	tools := codexAppServerTools(t, ctx, bin, env, dir, name)
	for _, want := range []string{"echo", "add", "whoami"} {
		if !slices.Contains(tools, want) {
			t.Errorf("Codex's tools for %s = %v; lacks %s", name, tools, want)
		}
	}

	// 5. Latchkey's side: one client, registered dynamically.
	named := d.clientsWithName("Codex")
	if len(named) != 1 || !strings.HasPrefix(named[0], clientID+" ") {
		t.Errorf("stored clients named Codex:\n%s\nwant exactly one, %s", strings.Join(named, "\n"), clientID)
	}
	show := clientFields(d.in.cli("", "clients", "show", clientID))
	for field, want := range map[string]string{
		"client_name":                "Codex",
		"source":                     "dcr",
		"token_endpoint_auth_method": "none",
		"redirect_uris":              redirect,
		"grant_types":                "authorization_code refresh_token",
		"response_types":             "code",
	} {
		if show[field] != want {
			t.Errorf("clients show %s: %s = %q, want %q", clientID, field, show[field], want)
		}
	}
	t.Logf("Codex registered: scope %q, client_uri %q, software_id %q, software_version %q", show["scope"], show["client_uri"], show["software_id"], show["software_version"])
	t.Logf("%s: Codex mcp add (metadata document) + mcp login (DCR) + browser + credentials + app-server tools in %s", t.Name(), time.Since(start).Round(time.Millisecond))
}

// codexRedirect checks Codex's redirect URI: its loopback listener on a
// random port, path /callback.
func codexRedirect(t *testing.T, redirect string) {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "/callback" || u.RawQuery != "" {
		t.Errorf("Codex redirect_uri = %q; want http://127.0.0.1:<port>/callback", redirect)
	}
}

// authorizeQuery parses an authorization URL a client produced, checking
// it is Latchkey's with S256 PKCE and the route as resource.
func authorizeQuery(t *testing.T, d *demoServer, authorizeURL string) url.Values {
	t.Helper()
	u, err := url.Parse(authorizeURL)
	if err != nil || !strings.HasPrefix(authorizeURL, d.base+"/authorize?") {
		t.Fatalf("authorization URL %q is not Latchkey's /authorize (%v)", authorizeURL, err)
	}
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("resource") != d.mcpURL {
		t.Errorf("authorization request %v: want response_type=code, S256 PKCE, a state and resource=%s", q, d.mcpURL)
	}
	return q
}

// codexStoredCredential is one entry of $CODEX_HOME/.credentials.json in
// file storage mode: a JSON object keyed "<server name>|<hash>", with
// expires_at in milliseconds.
type codexStoredCredential struct {
	ServerName   string   `json:"server_name"`
	ServerURL    string   `json:"server_url"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresAt    int64    `json:"expires_at"`
	Scopes       []string `json:"scopes"`
}

func (c codexStoredCredential) redacted() codexStoredCredential {
	if c.AccessToken != "" {
		c.AccessToken = "(set)"
	}
	if c.RefreshToken != "" {
		c.RefreshToken = "(set)"
	}
	return c
}

// codexCredentials reads the entry for server name at mcpURL from the
// credentials file Codex writes in file storage mode.
func codexCredentials(t *testing.T, codexHome, name, mcpURL string) codexStoredCredential {
	t.Helper()
	path := filepath.Join(codexHome, ".credentials.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("Codex stored no credentials file (mcp_oauth_credentials_store = \"file\"): %v", err)
	}
	var entries map[string]codexStoredCredential
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var found []codexStoredCredential
	for _, e := range entries {
		if e.ServerName == name && e.ServerURL == mcpURL {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s holds %d entries for %s at %s, want one (%d entries in all)", path, len(found), name, mcpURL, len(entries))
	}
	return found[0]
}

// codexAppServerTools starts `codex app-server` (stdio JSON-RPC), asks
// mcpServerStatus/list for server name and returns the names of the tools
// Codex listed from it.
func codexAppServerTools(t *testing.T, ctx context.Context, bin string, env []string, dir, name string) []string {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "app-server")
	cmd.Env, cmd.Dir = env, dir
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // the wrapper forwards it to codex
	cmd.WaitDelay = 5 * time.Second
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting codex app-server: %v", err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("codex app-server stderr:\n%s", stderr.String())
		}
	})
	rpc := newStdioRPC(t, stdin, stdout)
	rpc.call(ctx, "initialize", map[string]any{"clientInfo": map[string]any{"name": "latchkey-battery", "version": "0.0.1"}})
	rpc.notify("initialized", nil)
	raw := rpc.call(ctx, "mcpServerStatus/list", map[string]any{"serverName": name})
	var res struct {
		Data []struct {
			Name       string                     `json:"name"`
			AuthStatus string                     `json:"authStatus"`
			Tools      map[string]json.RawMessage `json:"tools"`
			ToolsError *string                    `json:"toolsError"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res.Data) != 1 || res.Data[0].Name != name {
		t.Fatalf("mcpServerStatus/list = %s (%v); want the status of %s", raw, err, name)
	}
	s := res.Data[0]
	if s.AuthStatus != "oAuth" || s.ToolsError != nil {
		t.Errorf("mcpServerStatus/list: %s has authStatus %q, toolsError %v; want oAuth and none (%s)", name, s.AuthStatus, deref(s.ToolsError), raw)
	}
	var names []string
	for _, v := range s.Tools {
		var tool struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(v, &tool) == nil {
			names = append(names, tool.Name)
		}
	}
	slices.Sort(names)
	t.Logf("codex app-server: Codex lists the tools of %s as %v", name, names)
	_ = stdin.Close()
	<-rpc.eof
	waited = true
	if err := cmd.Wait(); err != nil && ctx.Err() == nil {
		t.Logf("codex app-server after stdin closed: %v", err)
	}
	return names
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// jsonPart drops anything a CLI printed before its JSON (a warning line).
func jsonPart(out string) string {
	if i := strings.IndexAny(out, "[{"); i >= 0 {
		return out[i:]
	}
	return out
}

// browserRecorder is a BROWSER script that appends each URL a client asks
// to open to a file, one line each, for the test to read. Clients that use
// the `open` package (xdg-open) or `webbrowser`-style openers run $BROWSER
// with the URL when there is no desktop session.
type browserRecorder struct {
	t      *testing.T
	script string
	file   string
}

func newBrowserRecorder(t *testing.T) *browserRecorder {
	t.Helper()
	dir := t.TempDir()
	br := &browserRecorder{t: t, script: filepath.Join(dir, "browser.sh"), file: filepath.Join(dir, "urls")}
	if err := os.WriteFile(br.script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$LATCHKEY_TEST_URL_FILE\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return br
}

// env is what a client needs to find the script: BROWSER, the file, and a
// desktop that makes xdg-open use $BROWSER.
func (br *browserRecorder) env() []string {
	return []string{"BROWSER=" + br.script, "LATCHKEY_TEST_URL_FILE=" + br.file, "XDG_CURRENT_DESKTOP=X-Generic"}
}

func (br *browserRecorder) lines() []string { return authorizeLines(br.file) }

// wait returns the n-th URL (from 0) the client opened, failing when the
// process c exits first or ctx ends.
func (br *browserRecorder) wait(ctx context.Context, n int, c *cliProc) string {
	br.t.Helper()
	for {
		if lines := br.lines(); len(lines) > n {
			return lines[n]
		}
		select {
		case <-c.done:
			br.t.Fatalf("%s exited (%v) before it opened a browser:\n%s", c.name, c.err, c.out.String())
		case <-ctx.Done():
			br.t.Fatalf("%s opened no browser: %v\n%s", c.name, ctx.Err(), c.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cliProc is a client command running in the background, its stdout and
// stderr together in out (logged when the test fails).
type cliProc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startCLI starts bin args… in dir with env. Cancelling ctx sends SIGTERM
// (Node wrappers forward it to the native binary they spawned), then
// kills after WaitDelay.
func startCLI(t *testing.T, ctx context.Context, name, bin string, env []string, dir string, args ...string) *cliProc {
	t.Helper()
	c := &cliProc{t: t, name: name, out: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd = exec.CommandContext(ctx, bin, args...)
	c.cmd.Env, c.cmd.Dir = env, dir
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(syscall.SIGTERM) }
	c.cmd.WaitDelay = 5 * time.Second
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, c.out.String())
		}
	})
	return c
}

// wait waits for the command to exit and returns its error.
func (c *cliProc) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the command if it still runs: SIGTERM to the process the test
// started, SIGKILL after 5 s.
func (c *cliProc) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// runCLI runs a client command to completion and returns its output,
// failing on a non-zero exit.
func runCLI(t *testing.T, ctx context.Context, name, bin string, env []string, dir string, args ...string) string {
	t.Helper()
	c := startCLI(t, ctx, name, bin, env, dir, args...)
	if err := c.wait(ctx); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) || ctx.Err() != nil {
			t.Fatalf("%s: %v\n%s", name, err, c.out.String())
		}
		t.Fatalf("%s: %v", name, err)
	}
	return c.out.String()
}
