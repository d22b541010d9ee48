package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestRoutesAddListShowRemove(t *testing.T) {
	e := newTestEnv(t)
	out := e.ok(t, "routes", "add", "--name", "files", "--upstream", "https://files.internal/mcp",
		"--scope", "files:read files:write", "--scope", "files:read", "--title", "Team files")
	if !strings.Contains(out, "resource: http://127.0.0.1:8080/mcp/files") {
		t.Errorf("routes add: got %q, want the resource URL under the default issuer", out)
	}

	var routes []routeView
	e.jsonOut(t, &routes, "routes", "list")
	if len(routes) != 1 {
		t.Fatalf("routes list: got %d routes, want 1", len(routes))
	}
	r := routes[0]
	if r.Name != "files" || r.Upstream != "https://files.internal/mcp" || r.Title != "Team files" ||
		strings.Join(r.Scopes, " ") != "files:read files:write" {
		t.Errorf("route: got %+v, want files with deduplicated scopes", r)
	}
	if list := e.ok(t, "routes", "list"); !strings.Contains(list, "files:read files:write") || !strings.Contains(list, "NAME") {
		t.Errorf("routes list: got %q, want a table with the route", list)
	}

	show := e.ok(t, "--issuer", "https://auth.example.com/", "routes", "show", "files")
	for _, want := range []string{
		"https://auth.example.com/mcp/files",
		"https://auth.example.com/.well-known/oauth-protected-resource/mcp/files",
		"Team files",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("routes show: got %q, want it to contain %q", show, want)
		}
	}
	e.env["LATCHKEY_ADDR"] = "127.0.0.1:9999" // serve's default issuer follows its address
	var v routeView
	e.jsonOut(t, &v, "routes", "show", "files")
	if v.Resource != "http://127.0.0.1:9999/mcp/files" {
		t.Errorf("resource: got %q, want http://127.0.0.1:9999/mcp/files", v.Resource)
	}

	e.fails(t, exitError, `route "files" already exists`, "routes", "add", "--name", "files", "--upstream", "http://127.0.0.1:1/mcp")
	e.ok(t, "routes", "remove", "files")
	e.fails(t, exitError, `route "files" not found`, "routes", "show", "files")
	e.fails(t, exitError, `route "files" not found`, "routes", "remove", "files")
}

func TestRoutesAddInvalid(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"upper case name", []string{"--name", "Files", "--upstream", "http://u/mcp"}, `invalid route name "Files"`},
		{"leading dash", []string{"--name", "-x", "--upstream", "http://u/mcp"}, "invalid route name"},
		{"slash", []string{"--name", "a/b", "--upstream", "http://u/mcp"}, "invalid route name"},
		{"long name", []string{"--name", strings.Repeat("a", 64), "--upstream", "http://u/mcp"}, "invalid route name"},
		{"no name", []string{"--upstream", "http://u/mcp"}, "--name is required"},
		{"no upstream", []string{"--name", "x"}, "--upstream is required"},
		{"relative upstream", []string{"--name", "x", "--upstream", "/mcp"}, "invalid --upstream"},
		{"ftp upstream", []string{"--name", "x", "--upstream", "ftp://u/mcp"}, "http or https"},
		{"userinfo", []string{"--name", "x", "--upstream", "https://bob:hunter2@u/mcp"}, "user or password"},
		{"fragment", []string{"--name", "x", "--upstream", "https://u/mcp#x"}, "fragment"},
		{"quote in scope", []string{"--name", "x", "--upstream", "https://u/mcp", "--scope", `a"b`}, "invalid scope"},
		{"control in title", []string{"--name", "x", "--upstream", "https://u/mcp", "--title", "a\x1b[31m"}, "--title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.fails(t, exitUsage, tt.want, append([]string{"routes", "add"}, tt.args...)...)
			if strings.Contains(r.stderr, "hunter2") {
				t.Errorf("stderr: got %q, want the upstream password left out", r.stderr)
			}
		})
	}
	var routes []routeView
	e.jsonOut(t, &routes, "routes", "list")
	if len(routes) != 0 {
		t.Errorf("routes list: got %d routes, want none stored", len(routes))
	}
}

func TestRoutesAddPolicyAndSealedHeader(t *testing.T) {
	e := newTestEnv(t)
	e.ok(t, "routes", "add", "--name", "files", "--upstream", "http://127.0.0.1:9000/mcp", "--scope", "files:read",
		"--step-up", "tools/call:delete_*=files:write", "--admin-only", "--allow-user", "alice",
		"--upstream-header", "authorization: Bearer upstream-secret")
	var v routeView
	e.jsonOut(t, &v, "routes", "show", "files")
	if len(v.StepUp) != 1 || v.StepUp[0].Tool != "delete_*" || !v.AdminOnly || len(v.AllowedUsers) != 1 ||
		v.UpstreamHeader != "Authorization" || fmt.Sprint(v.Scopes) != "[files:read files:write]" {
		t.Fatalf("routes show = %+v", v)
	}
	raw := e.ok(t, "routes", "show", "--json", "files")
	if strings.Contains(raw, "upstream-secret") {
		t.Fatal("routes show printed the upstream credential")
	}
	if r := e.run(t, "", "routes", "add", "--name", "bad", "--upstream", "http://127.0.0.1:9/mcp", "--step-up", "nonsense"); r.code != 2 {
		t.Fatalf("bad --step-up: exit %d, want 2", r.code)
	}
}
