package web_test

// Two clients of the battery: mcp-remote (the stdio proxy Claude Desktop
// runs for remote servers) and the MCP Inspector's CLI mode (a bearer
// token in a header, no OAuth of its own). See clients_test.go for the
// harness and docs/clients.md for what each client sends.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// mcpRemoteClientName is the client_name mcp-remote's proxy registers
// with (the companion mcp-remote-client registers "MCP CLI Client").
const mcpRemoteClientName = "MCP CLI Proxy"

// TestClientMCPRemote: mcp-remote 0.15.1, started the way Claude Desktop
// starts it (`mcp-remote <url>`, nothing else), against serve --demo. It
// discovers Latchkey from the 401, registers dynamically (DCR), and opens
// the authorization URL with the `open` package; BROWSER points at a
// script that hands the URL to the test, which signs in and approves in
// Chromium. After the code exchange the test speaks MCP over the proxy's
// stdin/stdout: initialize, tools/list, tools/call echo through the
// gateway to the demo server. The registration is asserted from
// Latchkey's side (exactly one DCR client, a loopback redirect URI, what
// it registered), and the token mcp-remote saved is checked on its own.
func TestClientMCPRemote(t *testing.T) {
	t.Parallel()
	bin := clientBin(t, "mcp-remote")
	d := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	start := time.Now()

	// The browser: mcp-remote calls open(url), whose bundled xdg-open, on
	// a "generic" desktop without a display, runs each entry of $BROWSER
	// with the URL (open_generic → open_envvar). The script appends it to
	// a file, one line per authorization the client starts.
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "authorize-urls")
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$LATCHKEY_TEST_URL_FILE\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	configDir := filepath.Join(dir, "mcp-auth") // tokens and client info, this run's own
	env := clientEnv(bin,
		"BROWSER="+script, "LATCHKEY_TEST_URL_FILE="+urlFile,
		"XDG_CURRENT_DESKTOP=X-Generic", // xdg-open: no desktop detection (dbus, xprop)
		"MCP_REMOTE_CONFIG_DIR="+configDir, "HOME="+filepath.Join(dir, "home"))

	// --debug only makes stderr (logged on failure) say more.
	cmd := exec.CommandContext(ctx, bin, d.mcpURL, "--debug")
	cmd.Env = env
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
		t.Fatalf("starting mcp-remote: %v", err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("mcp-remote stderr:\n%s", stderr.String())
		}
	})
	rpc := newStdioRPC(t, stdin, stdout)

	// 1. Discovery, registration and the authorization request.
	authorizeURL := waitAuthorizeURL(t, ctx, urlFile, rpc.eof)
	t.Logf("mcp-remote opened %s", authorizeURL)
	au, _ := url.Parse(authorizeURL)
	aq := au.Query()
	redirect := aq.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || ru.Scheme != "http" || !isLoopbackHost(ru.Hostname()) || ru.Port() == "" || ru.Path != "/oauth/callback" {
		t.Errorf("redirect_uri = %q; want http://localhost:<port>/oauth/callback", redirect)
	}
	if scopes := strings.Fields(aq.Get("scope")); !slices.Contains(scopes, "tools:read") || !slices.Contains(scopes, "tools:call") {
		t.Errorf("authorization request scope = %q; want the route's tools:read tools:call", aq.Get("scope"))
	}
	// mcp-remote adds offline_access (advertised in scopes_supported, and it
	// registered for refresh_token) and then, as the SDK does, prompt=consent.
	if !slices.Contains(strings.Fields(aq.Get("scope")), "offline_access") || aq.Get("prompt") != "consent" {
		t.Errorf("authorization request scope = %q, prompt = %q; want offline_access and prompt=consent", aq.Get("scope"), aq.Get("prompt"))
	}

	// 2. Sign in and approve; the browser lands on mcp-remote's callback.
	landed := d.approve(authorizeURL, mcpRemoteClientName)
	if !strings.HasPrefix(landed, redirect+"?") {
		t.Fatalf("the browser landed on %s, want mcp-remote's callback %s", landed, redirect)
	}
	lu, _ := url.Parse(landed)
	if q := lu.Query(); q.Get("code") == "" || q.Get("state") != aq.Get("state") || q.Get("iss") != d.base {
		t.Errorf("callback query = %v; want a code, state %q and iss %s", q, aq.Get("state"), d.base)
	}

	// 3. MCP through the proxy. mcp-remote reads stdin only once it is
	// connected (after the code exchange), so these wait in the pipe.
	raw := rpc.call(ctx, "initialize", map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "latchkey-battery", "version": "0.0.1"},
	})
	var initRes struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      struct {
			Name string `json:"name"`
		} `json:"serverInfo"`
		Capabilities map[string]any `json:"capabilities"`
	}
	if err := json.Unmarshal(raw, &initRes); err != nil || initRes.ProtocolVersion == "" || initRes.Capabilities["tools"] == nil {
		t.Fatalf("initialize result %s (%v); want a protocol version and the tools capability", raw, err)
	}
	rpc.notify("notifications/initialized", nil)

	list := rpc.call(ctx, "tools/list", map[string]any{})
	var listRes struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(list, &listRes); err != nil {
		t.Fatalf("tools/list result %s: %v", list, err)
	}
	var names []string
	for _, tool := range listRes.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"echo", "add", "whoami"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list through mcp-remote = %v; lacks %s", names, want)
		}
	}

	const text = "hello through mcp-remote"
	echo := rpc.call(ctx, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": text}})
	if got := toolText(t, echo); got != text {
		t.Errorf("tools/call echo through mcp-remote = %q (%s), want %q", got, echo, text)
	}

	// 4. The registration, from Latchkey's side: one client, registered
	// dynamically, with the loopback redirect the authorization used.
	clientID := aq.Get("client_id")
	rows := strings.Split(strings.TrimSpace(d.in.cli("", "clients", "list")), "\n")[1:] // every stored client
	if named := d.clientsWithName(mcpRemoteClientName); len(rows) != 1 || len(named) != 1 || !strings.HasPrefix(rows[0], clientID+" ") {
		t.Errorf("stored clients:\n%s\nwant exactly one, %s named %q", strings.Join(rows, "\n"), clientID, mcpRemoteClientName)
	}
	show := clientFields(d.in.cli("", "clients", "show", clientID))
	for field, want := range map[string]string{
		"source":                     "dcr",
		"token_endpoint_auth_method": "none",
		"redirect_uris":              redirect,
		"grant_types":                "authorization_code refresh_token",
		"response_types":             "code",
		"scope":                      "tools:read tools:call offline_access",
		"client_uri":                 "https://github.com/modelcontextprotocol/mcp-cli",
		"software_version":           "0.15.1",
	} {
		if show[field] != want {
			t.Errorf("clients show %s: %s = %q, want %q", clientID, field, show[field], want)
		}
	}
	if show["software_id"] == "" || show["software_id"] == "-" {
		t.Errorf("clients show %s: no software_id", clientID)
	}

	// 5. What mcp-remote keeps: an access token the gateway accepts on its
	// own, and a refresh token (offline_access was granted).
	saved := mcpRemoteTokens(t, configDir)
	if saved.AccessToken == "" || saved.RefreshToken == "" || !strings.EqualFold(saved.TokenType, "bearer") {
		t.Errorf("mcp-remote saved tokens %+v; want an access and a refresh token", saved)
	}
	if saved.AccessToken != "" {
		d.checkToken(ctx, saved.AccessToken)
	}
	if n := len(authorizeLines(urlFile)); n != 1 {
		t.Errorf("mcp-remote opened the browser %d times, want once", n)
	}

	// 6. Closing stdin is how Claude Desktop stops it: it exits cleanly.
	_ = stdin.Close()
	<-rpc.eof
	waited = true
	if err := cmd.Wait(); err != nil {
		t.Errorf("mcp-remote after stdin closed: %v (ctx: %v)", err, ctx.Err())
	}
	t.Logf("%s: mcp-remote DCR + browser + initialize/tools/list/tools/call in %s", t.Name(), time.Since(start).Round(time.Millisecond))
}

// TestClientInspectorCLI: the MCP Inspector's CLI mode
// (@modelcontextprotocol/inspector-cli 1.0.3, `--cli <url> --transport
// http --header "Authorization: Bearer …"`) has no OAuth of its own: the
// token is one the test obtains the real way (DCR, then the authorization
// code flow with PKCE and resource, signed in and approved in Chromium,
// then the code exchange). With it, tools/list and tools/call echo reach
// the demo server through the gateway; without it, or with a token that
// is not one, the CLI fails with the gateway's 401 body.
func TestClientInspectorCLI(t *testing.T) {
	t.Parallel()
	bin := clientBin(t, "mcp-inspector-cli")
	d := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	start := time.Now()

	// A token for /mcp/demo: the Inspector CLI's user would paste one.
	const name = "Latchkey battery (Inspector CLI)"
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "done")
	}))
	t.Cleanup(cbSrv.Close)
	redirect := cbSrv.URL + "/callback"
	reg := d.e.registerClient(map[string]any{
		"client_name": name, "redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
	})
	ap := d.e.authParams(reg.ClientID, redirect, "demo", "tools:read tools:call")
	landed, _ := url.Parse(d.approve(d.base+"/authorize?"+ap.Encode(), name))
	if landed.Query().Get("state") != ap.Get("state") || landed.Query().Get("code") == "" {
		t.Fatalf("callback %s: want a code and state %q", landed, ap.Get("state"))
	}
	resp, tok := d.e.exchange(reg.ClientID, landed.Query().Get("code"), redirect, ap.verifier)
	wantStatus(t, resp, http.StatusOK)
	token, _ := tok["access_token"].(string)
	if token == "" {
		t.Fatalf("token response %v", tok)
	}
	authz := "Authorization: Bearer " + token

	// tools/list with the token.
	out, errOut, err := runInspectorCLI(ctx, bin, d.mcpURL, "--transport", "http", "--header", authz, "--method", "tools/list")
	if err != nil {
		t.Fatalf("inspector-cli tools/list: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("inspector-cli tools/list printed %q: %v\nstderr:\n%s", out, err, errOut)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"echo", "add", "whoami"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list through the Inspector CLI = %v; lacks %s", names, want)
		}
	}

	// tools/call echo with the token.
	const text = "hello through the Inspector CLI"
	out, errOut, err = runInspectorCLI(ctx, bin, d.mcpURL, "--transport", "http", "--header", authz,
		"--method", "tools/call", "--tool-name", "echo", "--tool-arg", "text="+text)
	if err != nil {
		t.Fatalf("inspector-cli tools/call: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if got := toolText(t, json.RawMessage(out)); got != text {
		t.Errorf("tools/call echo through the Inspector CLI = %q (%s), want %q", got, out, text)
	}

	// Without the header, and with a token that is not one: the CLI
	// reports the gateway's refusal (its message carries the 401's JSON
	// body, not the status code) and exits 1.
	for _, c := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"no Authorization header", nil, `{"error":"unauthorized"`},
		{"a bogus bearer token", []string{"--header", "Authorization: Bearer not-a-latchkey-token"}, `"error":"invalid_token"`},
	} {
		args := append([]string{d.mcpURL, "--transport", "http"}, c.extra...)
		out, errOut, err := runInspectorCLI(ctx, bin, append(args, "--method", "tools/list")...)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(errOut, "Failed to connect to MCP server") || !strings.Contains(errOut, c.want) {
			t.Errorf("inspector-cli with %s: %v; want exit status 1 and a connect failure naming %s\nstdout:\n%s\nstderr:\n%s", c.name, err, c.want, out, errOut)
		}
	}
	t.Logf("%s: token through Chromium + inspector-cli tools/list, tools/call and two refusals in %s", t.Name(), time.Since(start).Round(time.Millisecond))
}

// runInspectorCLI runs `mcp-inspector-cli --cli args…` and returns its
// stdout and stderr.
func runInspectorCLI(ctx context.Context, bin string, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--cli"}, args...)...)
	cmd.Env = clientEnv(bin)
	// inspector-cli 1.0.3 finds its own package.json by testing
	// "../package.json" against the working directory but importing it
	// relative to build/index.js (falling back to "../../package.json",
	// which only exists inside the inspector monorepo): run anywhere else
	// and it dies with "Cannot find module …/@modelcontextprotocol/package.json".
	// Its build directory is the one place where both agree.
	target, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", "", err
	}
	cmd.Dir = filepath.Dir(target)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.String(), stderr.String(), err
}

// clientEnv is the test's environment for a client in
// tests/clients/node_modules/.bin, with that directory first on PATH (as
// npx puts it, so `node` is the battery's Node 22), no display or desktop
// session a browser opener could use, and extra on top.
func clientEnv(bin string, extra ...string) []string {
	drop := []string{"PATH", "DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
		"BROWSER", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID", "MATE_DESKTOP_SESSION_ID", "DESKTOP_SESSION", "MCP_REMOTE_CONFIG_DIR"}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(drop, k) {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return append(env, extra...)
}

// waitAuthorizeURL waits until the BROWSER script has written a URL,
// failing early when the client exits first (eof closes).
func waitAuthorizeURL(t *testing.T, ctx context.Context, file string, eof <-chan struct{}) string {
	t.Helper()
	for {
		if lines := authorizeLines(file); len(lines) > 0 {
			return lines[0]
		}
		select {
		case <-eof:
			t.Fatal("mcp-remote exited before it opened a browser")
		case <-ctx.Done():
			t.Fatalf("mcp-remote opened no browser: %v", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// authorizeLines reads the complete lines the BROWSER script wrote.
func authorizeLines(file string) []string {
	raw, _ := os.ReadFile(file)
	s := string(raw)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	} else {
		return nil
	}
	return strings.Split(s, "\n")
}

func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// clientFields parses `latchkey clients show` ("field:   value" lines).
func clientFields(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// mcpRemoteTokens reads the one tokens file mcp-remote wrote under its
// config dir (mcp-remote-v1/<hash of the server URL>_tokens.json).
func mcpRemoteTokens(t *testing.T, configDir string) (tok struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
}) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(configDir, "mcp-remote-v*", "*_tokens.json"))
	if len(files) != 1 {
		t.Errorf("mcp-remote tokens files under %s: %v, want one", configDir, files)
		return tok
	}
	raw, err := os.ReadFile(files[0])
	if err == nil {
		err = json.Unmarshal(raw, &tok)
	}
	if err != nil {
		t.Errorf("mcp-remote tokens file %s: %v", files[0], err)
	}
	return tok
}

// toolText returns the text of a tools/call result's single text content,
// failing on an error result.
func toolText(t *testing.T, result json.RawMessage) string {
	t.Helper()
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(result, &r); err != nil || r.IsError || len(r.Content) != 1 || r.Content[0].Type != "text" {
		t.Errorf("tools/call result %s (%v); want one text content and no error", result, err)
		return ""
	}
	return r.Content[0].Text
}

// stdioRPC speaks newline-delimited JSON-RPC to a stdio MCP server (here
// mcp-remote): a goroutine reads its stdout; eof closes when it ends.
type stdioRPC struct {
	t      *testing.T
	stdin  io.Writer
	msgs   chan stdioMsg
	eof    chan struct{}
	nextID int
}

type stdioMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	raw string
}

func newStdioRPC(t *testing.T, stdin io.Writer, stdout io.Reader) *stdioRPC {
	r := &stdioRPC{t: t, stdin: stdin, msgs: make(chan stdioMsg, 64), eof: make(chan struct{})}
	go func() {
		defer close(r.eof)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var m stdioMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m.Method = "(not JSON-RPC)" // a stray line on stdout is itself a client bug
			}
			m.raw = sc.Text()
			select {
			case r.msgs <- m:
			case <-t.Context().Done(): // the test is over; nobody reads
				return
			}
		}
	}()
	return r
}

func (r *stdioRPC) send(v map[string]any) {
	r.t.Helper()
	v["jsonrpc"] = "2.0"
	b, _ := json.Marshal(v)
	if _, err := r.stdin.Write(append(b, '\n')); err != nil {
		r.t.Fatalf("writing to the client's stdin: %v", err)
	}
}

func (r *stdioRPC) notify(method string, params any) {
	r.t.Helper()
	m := map[string]any{"method": method}
	if params != nil {
		m["params"] = params
	}
	r.send(m)
}

// call sends a request and waits for its response, logging what else
// arrives (notifications) and failing on an error response.
func (r *stdioRPC) call(ctx context.Context, method string, params any) json.RawMessage {
	r.t.Helper()
	r.nextID++
	id := r.nextID
	r.send(map[string]any{"id": id, "method": method, "params": params})
	for {
		select {
		case m := <-r.msgs:
			if m.Method == "(not JSON-RPC)" {
				r.t.Errorf("non-JSON-RPC line on stdout: %s", m.raw)
				continue
			}
			var got int
			if m.Method != "" || json.Unmarshal(m.ID, &got) != nil || got != id {
				r.t.Logf("stdout (while waiting for %s): %s", method, m.raw)
				continue
			}
			if m.Error != nil {
				r.t.Fatalf("%s: JSON-RPC error %d %s", method, m.Error.Code, m.Error.Message)
			}
			return m.Result
		case <-r.eof:
			r.t.Fatalf("the client's stdout ended while waiting for the %s response", method)
		case <-ctx.Done():
			r.t.Fatalf("no %s response: %v", method, ctx.Err())
		}
	}
}
