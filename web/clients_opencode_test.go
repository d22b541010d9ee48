package web_test

// opencode (npm opencode-ai, a single Bun-compiled binary) in the client
// battery. See clients_test.go for the harness, clients_codex_test.go for
// the helpers the CLI-shaped clients share, and docs/clients.md for what
// each client sends.

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// opencodeVersion is the release tests/clients/package.json pins.
const opencodeVersion = "1.18.33"

// opencodeRedirect is the redirect URI opencode registers and listens on:
// a fixed port, so two opencode logins cannot run at once (this test is
// not parallel).
const opencodeRedirect = "http://127.0.0.1:19876/mcp/oauth/callback"

// TestClientOpencode: opencode 1.18.33 against serve --demo, with a remote
// MCP server in its global config file and nothing else of the user's:
// HOME and the XDG directories are the test's own. The registration
// method is dynamic client registration (opencode has no metadata
// document). `opencode mcp auth lk` discovers Latchkey from the 401,
// registers, and opens the authorization URL through $BROWSER (a script
// that hands it to the test); the test signs in and approves in Chromium;
// opencode's listener on 127.0.0.1:19876 receives the code, exchanges it
// and reports success. Then: the token opencode stored
// ($XDG_DATA_HOME/opencode/mcp-auth.json) is accepted by the gateway on
// its own, `opencode mcp list` reports the server connected (it connects,
// initializes and lists tools with that token), and Latchkey holds the
// clients opencode registered: two per login, both DCR with the fixed
// loopback redirect, one of which the authorization used.
//
// opencode reaches the network on its own at start-up unless told not to:
// the OPENCODE_DISABLE_* switches below, and a config directory seeded so
// that its background `npm install @opencode-ai/plugin` there finds
// nothing to do (Npm.install skips a directory whose node_modules exists
// and whose package-lock.json already lists the package). With those,
// the commands used connect only to loopback (checked with strace when the
// test was written).
func TestClientOpencode(t *testing.T) {
	bin := clientBin(t, "opencode")
	d := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	start := time.Now()
	t.Logf("opencode %s (opencode-ai), registration under test: DCR", opencodeVersion)

	dir := t.TempDir()
	xdg := func(name string) string { return filepath.Join(dir, name) }
	configDir := filepath.Join(xdg("config"), "opencode")
	const name = "lk"
	config, _ := json.Marshal(map[string]any{
		"mcp":        map[string]any{name: map[string]any{"type": "remote", "url": d.mcpURL}},
		"autoupdate": false,
		"share":      "disabled",
	})
	for path, content := range map[string]string{
		filepath.Join(configDir, "opencode.json"):         string(config),
		filepath.Join(configDir, "package-lock.json"):     `{"packages":{"":{"dependencies":{"@opencode-ai/plugin":"` + opencodeVersion + `"}}}}`,
		filepath.Join(configDir, "node_modules", ".keep"): "",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	work := xdg("work") // the project directory: empty, not a git repository
	for _, p := range []string{work, xdg("home")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	br := newBrowserRecorder(t)
	env := clientEnv(bin, append(br.env(),
		"HOME="+xdg("home"), "XDG_CONFIG_HOME="+xdg("config"), "XDG_DATA_HOME="+xdg("data"),
		"XDG_CACHE_HOME="+xdg("cache"), "XDG_STATE_HOME="+xdg("state"),
		"OPENCODE_PURE=1", "OPENCODE_DISABLE_AUTOUPDATE=1", "OPENCODE_DISABLE_MODELS_FETCH=1",
		"OPENCODE_DISABLE_DEFAULT_PLUGINS=1", "OPENCODE_DISABLE_LSP_DOWNLOAD=1", "OPENCODE_DISABLE_SHARE=1",
		"OPENCODE_DISABLE_CLAUDE_CODE=1", "OPENCODE_DISABLE_EXTERNAL_SKILLS=1",
		"npm_config_offline=true", // should an install run after all: from the (empty) cache only
		"NO_COLOR=1")...)

	// 1. mcp auth: discovery, registration, the authorization request.
	auth := startCLI(t, ctx, "opencode mcp auth", bin, env, work, "mcp", "auth", name)
	authorizeURL := br.wait(ctx, 0, auth)
	t.Logf("opencode mcp auth opened %s", authorizeURL)
	aq := authorizeQuery(t, d, authorizeURL)
	clientID := aq.Get("client_id")
	if !strings.HasPrefix(clientID, "lkc_") {
		t.Errorf("opencode: client_id = %q, want a dynamically registered lkc_ client", clientID)
	}
	if got := aq.Get("redirect_uri"); got != opencodeRedirect {
		t.Errorf("opencode: redirect_uri = %q, want %s", got, opencodeRedirect)
	}
	if got := aq.Get("scope"); got != "tools:read tools:call offline_access" {
		t.Errorf("opencode: scope = %q, want the route's scopes plus offline_access", got)
	}
	t.Logf("opencode authorization request: scope %q, prompt %q", aq.Get("scope"), aq.Get("prompt"))

	// 2. The user approves; opencode exchanges the code.
	landed, err := url.Parse(d.approve(authorizeURL, "OpenCode"))
	if err != nil || !strings.HasPrefix(landed.String(), opencodeRedirect+"?") || landed.Query().Get("code") == "" || landed.Query().Get("state") != aq.Get("state") {
		t.Errorf("the browser landed on %s; want %s with a code and state %q", landed, opencodeRedirect, aq.Get("state"))
	}
	if err := auth.wait(ctx); err != nil {
		t.Fatalf("opencode mcp auth: %v\n%s", err, plainText(auth.out.String()))
	}
	if out := plainText(auth.out.String()); !strings.Contains(out, "Authentication successful!") {
		t.Errorf("opencode mcp auth did not report success:\n%s", out)
	}
	if n := len(br.lines()); n != 1 {
		t.Errorf("opencode opened the browser %d times, want once: %q", n, br.lines())
	}

	// 3. What opencode stored: tokens for the client the authorization
	// used, the flow's state and verifier cleared; the access token works
	// at the gateway on its own.
	saved := opencodeAuth(t, filepath.Join(xdg("data"), "opencode", "mcp-auth.json"), name)
	if saved.Tokens.AccessToken == "" || saved.Tokens.RefreshToken == "" || saved.Tokens.Scope != "tools:read tools:call offline_access" ||
		saved.Tokens.ExpiresAt < float64(time.Now().Unix()) ||
		saved.ClientInfo.ClientID != clientID || saved.ServerURL != d.mcpURL || saved.CodeVerifier != "" || saved.OAuthState != "" {
		t.Errorf("opencode stored %+v; want unexpired access and refresh tokens for tools:read tools:call offline_access, client %s, server %s, no pending state or verifier", saved.redacted(), clientID, d.mcpURL)
	}
	if saved.Tokens.AccessToken != "" {
		d.checkToken(ctx, saved.Tokens.AccessToken)
	}

	// 4. opencode's own view: `mcp list` connects with the stored token
	// (initialize and tools/list through the gateway) and reports the
	// server connected; `mcp auth list` reports it authenticated.
	if out := plainText(runCLI(t, ctx, "opencode mcp list", bin, env, work, "mcp", "list")); !strings.Contains(out, "✓ "+name+" connected") || !strings.Contains(out, d.mcpURL) {
		t.Errorf("opencode mcp list does not show %s connected:\n%s", name, out)
	}
	if out := plainText(runCLI(t, ctx, "opencode mcp auth list", bin, env, work, "mcp", "auth", "list")); !strings.Contains(out, "✓ "+name+" authenticated") {
		t.Errorf("opencode mcp auth list does not show %s authenticated:\n%s", name, out)
	}

	// 5. Latchkey's side: two clients per login, both registered
	// dynamically with the fixed redirect. opencode's instance start-up
	// connects to every configured server and, on the 401, registers one;
	// `mcp auth` then starts its own flow with a provider of its own,
	// which registers again and is the one that authorizes. The first is
	// left unused.
	named := d.clientsWithName("OpenCode")
	var ids []string
	for _, l := range named {
		id, _, _ := strings.Cut(l, " ")
		ids = append(ids, id)
		show := clientFields(d.in.cli("", "clients", "show", id))
		for field, want := range map[string]string{
			"client_name":                "OpenCode",
			"source":                     "dcr",
			"token_endpoint_auth_method": "none",
			"redirect_uris":              opencodeRedirect,
			"grant_types":                "authorization_code refresh_token",
			"response_types":             "code",
			"client_uri":                 "https://opencode.ai",
		} {
			if show[field] != want {
				t.Errorf("clients show %s: %s = %q, want %q", id, field, show[field], want)
			}
		}
		if used := show["last used"] != "-"; used != (id == clientID) {
			t.Errorf("clients show %s: last used %q; want only the client that authorized (%s) used", id, show["last used"], clientID)
		}
		t.Logf("opencode registered %s: scope %q, software_id %q, software_version %q, last used %q", id, show["scope"], show["software_id"], show["software_version"], show["last used"])
	}
	if len(ids) != 2 || !slices.Contains(ids, clientID) {
		t.Errorf("stored clients named OpenCode:\n%s\nwant two (opencode registers twice per login), one of them %s", strings.Join(named, "\n"), clientID)
	}
	t.Logf("%s: opencode mcp auth (DCR) + browser + stored token + mcp list in %s", t.Name(), time.Since(start).Round(time.Millisecond))
}

// opencodeStoredAuth is one server's entry in opencode's mcp-auth.json.
type opencodeStoredAuth struct {
	Tokens struct {
		AccessToken  string  `json:"accessToken"`
		RefreshToken string  `json:"refreshToken"`
		ExpiresAt    float64 `json:"expiresAt"` // seconds
		Scope        string  `json:"scope"`
	} `json:"tokens"`
	ClientInfo struct {
		ClientID string `json:"clientId"`
	} `json:"clientInfo"`
	ServerURL    string `json:"serverUrl"`
	CodeVerifier string `json:"codeVerifier"`
	OAuthState   string `json:"oauthState"`
}

func (a opencodeStoredAuth) redacted() opencodeStoredAuth {
	if a.Tokens.AccessToken != "" {
		a.Tokens.AccessToken = "(set)"
	}
	if a.Tokens.RefreshToken != "" {
		a.Tokens.RefreshToken = "(set)"
	}
	return a
}

// opencodeAuth reads server name's entry from opencode's credential file
// ($XDG_DATA_HOME/opencode/mcp-auth.json, a JSON object keyed by server
// name).
func opencodeAuth(t *testing.T, path, name string) opencodeStoredAuth {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("opencode stored no credentials: %v", err)
	}
	var all map[string]opencodeStoredAuth
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	a, ok := all[name]
	if !ok || len(all) != 1 {
		t.Fatalf("%s holds %d entries, want one, for %s", path, len(all), name)
	}
	return a
}

// ansiRe matches the terminal escapes opencode's spinners print.
var ansiRe = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// plainText strips terminal escapes from CLI output.
func plainText(s string) string { return ansiRe.ReplaceAllString(s, "") }
