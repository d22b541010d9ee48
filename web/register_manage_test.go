package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// configRequest calls the RFC 7592 client configuration endpoint.
func (e *env) configRequest(method, uri, token string, body any) (*http.Response, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, uri, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		return resp, nil
	}
	return resp, decodeJSON(e.t, resp)
}

// TestRegistrationManagement (RFC 7592): read, update and delete with the
// registration access token, which is stored hashed and works only for its
// own client; deleting a client revokes its grants.
func TestRegistrationManagement(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, reg := e.register(map[string]any{"client_name": "Managed", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none",
		"software_id": "managed-app", "software_version": "3.1"})
	_, other := e.register(map[string]any{"client_name": "Other", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"})
	id, tok, uri := reg["client_id"].(string), reg["registration_access_token"].(string), reg["registration_client_uri"].(string)
	if !strings.HasPrefix(tok, "lkrat_") || uri != e.issuer+"/register/"+id {
		t.Fatalf("registration response: token %q uri %q", tok, uri)
	}
	stored, err := e.store.GetClient(context.Background(), id)
	if err != nil || stored.RegistrationTokenHash != oauth.HashSecret(tok) || strings.Contains(stored.RegistrationTokenHash, tok) {
		t.Fatalf("registration token at rest: %+v %v", stored, err)
	}

	resp, got := e.configRequest(http.MethodGet, uri, tok, nil)
	if resp.StatusCode != http.StatusOK || got["client_id"] != id || got["software_id"] != "managed-app" || got["software_version"] != "3.1" ||
		got["registration_access_token"] != nil {
		t.Fatalf("GET: %d %v", resp.StatusCode, got)
	}
	for name, c := range map[string]struct{ uri, tok string }{
		"no token": {uri, ""}, "wrong token": {uri, "lkrat_nope"}, "another client's token": {uri, other["registration_access_token"].(string)},
		"unknown client": {e.issuer + "/register/lkc_missing", tok},
	} {
		resp, body := e.configRequest(http.MethodGet, c.uri, c.tok, nil)
		if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_token" || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("GET with %s: %d %v", name, resp.StatusCode, body)
		}
	}

	update := map[string]any{"client_id": id, "client_name": "Managed v2", "redirect_uris": []string{cb, "http://127.0.0.1:50001/cb"}, "token_endpoint_auth_method": "none"}
	resp, got = e.configRequest(http.MethodPut, uri, tok, update)
	if resp.StatusCode != http.StatusOK || got["client_name"] != "Managed v2" || len(got["redirect_uris"].([]any)) != 2 {
		t.Fatalf("PUT: %d %v", resp.StatusCode, got)
	}
	update["client_id"] = other["client_id"]
	if resp, body := e.configRequest(http.MethodPut, uri, tok, update); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PUT with another client_id: %d %v", resp.StatusCode, body)
	}
	update["client_id"], update["redirect_uris"] = id, []string{"javascript:alert(1)"}
	if resp, body := e.configRequest(http.MethodPut, uri, tok, update); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" {
		t.Errorf("PUT with a bad redirect: %d %v", resp.StatusCode, body)
	}

	code, verifier := e.codeFlow(id, cb, "notes", "")
	_, tokens := e.exchange(id, code, cb, verifier)
	if resp, _ := e.configRequest(http.MethodDelete, uri, tok, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp, _ := e.configRequest(http.MethodGet, uri, tok, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET after DELETE: %d", resp.StatusCode)
	}
	if resp, body := e.refresh(id, tokens["refresh_token"].(string)); resp.StatusCode == http.StatusOK {
		t.Fatalf("refresh after the client was deleted: %v", body)
	}
	grants, _ := e.store.ListGrants(context.Background(), "", id)
	for _, g := range grants {
		if g.RevokedAt == nil {
			t.Fatalf("grant %s survived its client's deletion", g.ID)
		}
	}
}

// TestRegistrationRateLimit: per-IP registration is rate limited with 429,
// Retry-After and an OAuth-shaped error.
func TestRegistrationRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	md := map[string]any{"client_name": "Flood", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"}
	limited := 0
	for i := range 60 {
		resp, body := e.register(md)
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" || body["error"] == nil {
				t.Fatalf("429 without Retry-After or error: %v %v", resp.Header, body)
			}
			limited++
		} else if resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: %d %v", i, resp.StatusCode, body)
		}
	}
	if limited == 0 || limited > 25 {
		t.Fatalf("%d of 60 rapid registrations limited; want the ones past the burst of 40", limited)
	}
}

// TestRegistrationUnusedClientCap: past the cap of never-used dynamic
// clients registration answers 503; clean-up of expired unused clients
// frees room, and a client that completed a flow is kept.
func TestRegistrationUnusedClientCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOpts{maxUnusedClients: 3})
	used := e.registerPublic(cb)
	code, verifier := e.codeFlow(used.ClientID, cb, "notes", "")
	if resp, _ := e.exchange(used.ClientID, code, cb, verifier); resp.StatusCode != http.StatusOK {
		t.Fatal("flow failed")
	}
	for range 3 {
		e.registerPublic(cb)
	}
	resp, body := e.register(map[string]any{"client_name": "One too many", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"})
	if resp.StatusCode != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Fatalf("past the cap: %d %v", resp.StatusCode, body)
	}
	e.clock.Advance(25 * time.Hour)
	r, err := e.provider.Cleanup(context.Background())
	if err != nil || r.UnusedClients != 3 {
		t.Fatalf("clean-up: %+v %v; want the 3 unused clients deleted", r, err)
	}
	if _, err := e.store.GetClient(context.Background(), used.ClientID); err != nil {
		t.Fatalf("the used client was deleted: %v", err)
	}
	e.registerPublic(cb)
}

// TestClientNameEscaped: markup in a client name is shown as text.
func TestClientNameEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	reg := e.registerClient(map[string]any{"client_name": `<img src=x onerror=alert(1)>`, "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"})
	e.codeFlow(reg.ClientID, cb, "notes", "")
	if strings.Contains(e.lastConsentPage, "<img src=x") || !strings.Contains(e.lastConsentPage, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("client name not escaped on the consent page")
	}
}

// TestRegistrationPerSourceCap: one address cannot hold more than 50
// never-used dynamic clients, even when the rate limit allows more.
func TestRegistrationPerSourceCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	md := map[string]any{"client_name": "Hoarder", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none"}
	for i := range 50 {
		if i == 40 {
			e.clock.Advance(10 * time.Minute) // the rate limit refills
		}
		if resp, body := e.register(md); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: %d %v", i, resp.StatusCode, body)
		}
	}
	e.clock.Advance(10 * time.Minute)
	resp, body := e.register(md)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body["error_description"].(string), "never used") {
		t.Fatalf("51st unused client from one address: %d %v", resp.StatusCode, body)
	}
}
