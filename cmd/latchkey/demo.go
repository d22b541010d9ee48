package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// The demo route and user that serve --demo creates.
const (
	demoUsername = "demo"
	demoRoute    = "demo"
	demoTitle    = "Demo MCP server"
	demoScopes   = "tools:read tools:call"
	// demoStepUpScope is what the demo's delete_note tool needs on top.
	demoStepUpScope = "notes:delete"
)

// setupDemo makes sure the demo user and route exist (idempotent across
// restarts and concurrent starts), prints a new user's password once, and
// prints how to try the demo.
// demoInspectorOrigins let the MCP Inspector (a browser app on port 6274)
// call the gateway in demo mode.
var demoInspectorOrigins = []string{"http://localhost:6274", "http://127.0.0.1:6274"}

func (p *program) setupDemo(ctx context.Context, store oauth.Store, issuer, upstream string) error {
	password, err := ensureDemoUser(ctx, store)
	if err != nil {
		return err
	}
	if err := ensureDemoRoute(ctx, store, upstream); err != nil {
		return err
	}
	out := &printer{w: p.stdout}
	if password != "" {
		out.linef("demo user: %s / password: %s", demoUsername, password)
	} else {
		out.linef("demo user: %s (its password was printed when it was created; reset it with: latchkey users passwd %s)", demoUsername, demoUsername)
	}
	out.linef("")
	mcpURL := oauth.ResourceURL(issuer, demoRoute)
	out.linef("Try it: point an MCP client at %s and sign in as %s.", mcpURL, demoUsername)
	out.linef("  MCP Inspector:  npx @modelcontextprotocol/inspector  (Streamable HTTP, URL above)")
	out.linef("  Claude Desktop: {\"command\": \"npx\", \"args\": [\"mcp-remote\", \"%s\"]}", mcpURL)
	out.linef("  Console:        %s/admin (the demo user is an administrator)", strings.TrimSuffix(mcpURL, "/mcp/"+demoRoute))
	return out.fields([][2]string{
		{"  MCP server URL", mcpURL},
		{"  resource metadata", resourceMetadataURL(issuer, demoRoute)},
		{"  AS metadata", strings.TrimRight(issuer, "/") + "/.well-known/oauth-authorization-server"},
		{"  registration", strings.TrimRight(issuer, "/") + "/register"},
		{"  demo upstream", upstream + " (loopback only, behind the gateway)"},
	})
}

// ensureDemoUser creates the demo user unless it exists and returns the
// generated password, or "" when the user was already there.
func ensureDemoUser(ctx context.Context, store oauth.Store) (string, error) {
	_, err := store.GetUserByUsername(ctx, demoUsername)
	if err == nil {
		return "", nil
	}
	if !errors.Is(err, oauth.ErrNotFound) {
		return "", fmt.Errorf("demo: get user: %w", err)
	}
	password := oauth.GeneratePassword()
	hash, err := newHasher().Hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("demo: hash password: %w", err)
	}
	now := time.Now().UTC()
	// The demo user is an administrator, so the console can be tried at once.
	u := &oauth.User{ID: newUserID(), Username: demoUsername, PasswordHash: hash, Admin: true, CreatedAt: now, UpdatedAt: now}
	switch err := store.CreateUser(ctx, u); {
	case errors.Is(err, oauth.ErrConflict):
		return "", nil // another instance created it just now
	case err != nil:
		return "", fmt.Errorf("demo: create user: %w", err)
	}
	return password, nil
}

// ensureDemoRoute creates the demo route unless it exists; an existing one
// is left as the operator may have changed it.
func ensureDemoRoute(ctx context.Context, store oauth.Store, upstream string) error {
	old, err := store.GetRoute(ctx, demoRoute)
	switch {
	case err == nil && old.Upstream == upstream:
		return nil
	case err == nil:
		// The demo server gets a new port each start: point the route at it.
		if err := store.DeleteRoute(ctx, demoRoute); err != nil && !errors.Is(err, oauth.ErrNotFound) {
			return fmt.Errorf("demo: replace route: %w", err)
		}
	case !errors.Is(err, oauth.ErrNotFound):
		return fmt.Errorf("demo: get route: %w", err)
	}
	r := &oauth.Route{
		Name: demoRoute, Upstream: upstream, Title: demoTitle,
		Scopes: append(strings.Fields(demoScopes), demoStepUpScope), CreatedAt: time.Now().UTC(),
		// delete_note needs a scope a first login does not grant (RS-5 step-up).
		StepUp: []oauth.StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{demoStepUpScope}}},
	}
	if err := store.CreateRoute(ctx, r); err != nil && !errors.Is(err, oauth.ErrConflict) {
		return fmt.Errorf("demo: create route: %w", err)
	}
	return nil
}
