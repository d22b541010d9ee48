package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestClientsListingGrantsLatchkeyDoesNotServe: a metadata document shaped
// like VS Code's (a fixed-port loopback and an https redirect URI,
// application_type native, the device-code grant beside the served ones)
// and a registration shaped like a hosted connector's (an https callback,
// the jwt-bearer grant) both sign in; the extra grants are dropped from
// what is stored (the registration response shows it) and /token answers
// them unsupported_grant_type.
func TestClientsListingGrantsLatchkeyDoesNotServe(t *testing.T) {
	t.Parallel()
	d := newDocServerAt(t, "localhost")
	e := cimdEnv(t, d)
	raw, err := os.ReadFile("../oauth/testdata/cimd/good/published-vscode.json")
	if err != nil {
		t.Fatal(err)
	}
	var vscode map[string]any
	if err := json.Unmarshal(raw, &vscode); err != nil {
		t.Fatal(err)
	}
	delete(vscode, "client_id")
	docID := d.put("/oauth/client-metadata.json", vscode)
	const vsRedirect = "http://127.0.0.1:33418/"
	code, verifier := e.codeFlow(docID, vsRedirect, "notes", "")
	resp, tok := e.exchange(docID, code, vsRedirect, verifier)
	wantStatus(t, resp, http.StatusOK)
	if tok["access_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("VS Code-shaped document client: %v", tok)
	}

	resp, reg := e.register(map[string]any{"client_name": "Connector", "redirect_uris": []string{"https://claude.example/api/mcp/auth_callback"},
		"token_endpoint_auth_method": "none", "response_types": []string{"code", "token"},
		"grant_types": []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, "software_statement_x": "ignored"})
	wantStatus(t, resp, http.StatusCreated)
	if got := stringsOf(reg["grant_types"]); got != "authorization_code refresh_token" {
		t.Errorf("registration response grant_types = %v, want the stored, served ones", reg["grant_types"])
	}
	if got := stringsOf(reg["response_types"]); got != "code" {
		t.Errorf("registration response response_types = %v, want code", reg["response_types"])
	}
	for _, id := range []string{docID, reg["client_id"].(string)} {
		for _, g := range []string{"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"} {
			resp, body := e.token(url.Values{"grant_type": {g}, "client_id": {id}, "device_code": {"x"}, "assertion": {"x"}}, "", "")
			if resp.StatusCode != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
				t.Errorf("%s with %s: %d %v, want unsupported_grant_type", id, g, resp.StatusCode, body)
			}
		}
	}
	// Nothing usable left: refused.
	resp, body := e.register(map[string]any{"client_name": "Device only", "redirect_uris": []string{cb},
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code"}})
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Errorf("device-code-only registration: %d %v", resp.StatusCode, body)
	}
}

// stringsOf joins a JSON array of strings with spaces.
func stringsOf(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, s := range list {
		out = append(out, s.(string))
	}
	return strings.Join(out, " ")
}
