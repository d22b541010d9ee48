package web_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/oauth"
)

// TestTypeScriptSDKAgainstServeDemo is what `make run` promises: the
// `latchkey serve --demo` binary, with its own demo MCP server, and the
// official TypeScript SDK client pointed at /mcp/demo reach the tools after
// login and consent in Chromium, and refresh.
func TestTypeScriptSDKAgainstServeDemo(t *testing.T) {
	node, jsDir := requireNodeModules(t, "@modelcontextprotocol/sdk")
	cons := newConsoleLog()
	bctx := newBrowser(t, cons)
	bin, err := latchkeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), tsSDKTimeout)
	defer cancel()
	in := &installation{t: t, bin: bin, dsn: "sqlite:" + filepath.Join(t.TempDir(), "demo.db"), secret: strings.Repeat("d", 40), data: t.TempDir()}
	addr := freeAddr(t)
	p := in.serve(addr, "http://"+addr, "--demo")
	password := demoPassword(t, p)
	e := &env{t: t, issuer: p.base, user: &oauth.User{Username: "demo"}, password: password}
	mcpURL := p.base + "/mcp/demo"

	run := runNodeClient(t, ctx, node, jsDir, []string{mcpURL, "0"}, []string{"LATCHKEY_TS_ECHO_ARG=text"}, func(authorizeURL string) {
		approveInBrowser(t, &browserFlow{t: t, ctx: bctx, e: e, cons: cons}, authorizeURL, "", mcpURL)
	})
	var tools []string
	if err := json.Unmarshal([]byte(run.results["tools"]), &tools); err != nil {
		t.Fatalf("tools = %q: %v", run.results["tools"], err)
	}
	for _, want := range []string{"echo", "add", "count_slowly", "delete_note", "whoami"} {
		if !slices.Contains(tools, want) {
			t.Errorf("the demo's tools %v lack %s", tools, want)
		}
	}
	if !strings.Contains(run.results["echo"], "hello") || strings.Contains(run.results["echo"], `"isError":true`) {
		t.Errorf("echo through the gateway = %q", run.results["echo"])
	}
	if run.refreshed != "true" || run.authorize != 1 {
		t.Errorf("refreshed = %q, authorizations = %d", run.refreshed, run.authorize)
	}
}
