package main

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/oauth"
)

// TestTrustCommands: mode and allowlist round-trip, normalization, and
// one-line errors for bad input (AS-14).
func TestTrustCommands(t *testing.T) {
	e := newTestEnv(t)
	var v trustView
	e.jsonOut(t, &v, "trust", "list")
	if v.Mode != "any" || len(v.Domains) != 0 {
		t.Fatalf("default policy = %+v, want any with an empty allowlist", v)
	}
	e.ok(t, "trust", "add", "Claude.AI.")
	e.ok(t, "trust", "add", "*.Example.com")
	e.jsonOut(t, &v, "trust", "mode", "allowlist")
	if v.Mode != "allowlist" || strings.Join(v.Domains, ",") != "*.example.com,claude.ai" {
		t.Fatalf("policy = %+v", v)
	}
	if out := e.ok(t, "trust", "list"); !strings.Contains(out, "mode: allowlist") || !strings.Contains(out, "allow: claude.ai") {
		t.Fatalf("text output: %q", out)
	}
	e.ok(t, "trust", "remove", "claude.ai")
	for _, bad := range [][]string{
		{"trust", "add", "*.example.com"},
		{"trust", "add", "10.0.0.1"},
		{"trust", "add", "a.*.example.com"},
		{"trust", "remove", "claude.ai"},
		{"trust", "mode", "everything"},
		{"trust", "add"},
	} {
		r := e.run(t, "", bad...)
		if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && !strings.Contains(r.stderr, "Usage") {
			t.Errorf("latchkey %v: exit %d, stderr %q; want a one-line error", bad, r.code, r.stderr)
		}
	}
	e.jsonOut(t, &v, "trust", "list")
	if v.Mode != "allowlist" || strings.Join(v.Domains, ",") != "*.example.com" {
		t.Fatalf("after errors the policy changed: %+v", v)
	}
}

// TestCLIWritesAudit: admin commands leave audit entries with the OS user.
func TestCLIWritesAudit(t *testing.T) {
	e := newTestEnv(t)
	e.env["USER"] = "ops"
	e.ok(t, "users", "add", "--username", "carol")
	e.ok(t, "routes", "add", "--name", "files", "--upstream", "http://127.0.0.1:9/mcp")
	e.ok(t, "trust", "add", "claude.ai")
	e.ok(t, "users", "disable", "carol")
	e.ok(t, "routes", "remove", "files")
	events, err := e.store(t).ListAudit(t.Context(), oauth.AuditFilter{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		if ev.Actor != "cli:ops" {
			t.Errorf("event %s by %q, want cli:ops", ev.Action, ev.Actor)
		}
		got = append(got, ev.Action+" "+ev.Target)
	}
	want := "route.delete files,user.disable carol,trust.add claude.ai,route.create files,user.create carol"
	if strings.Join(got, ",") != want {
		t.Fatalf("audit = %v\nwant %s", got, want)
	}
}
