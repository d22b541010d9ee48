package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/oauth"
)

var (
	clientIDLine     = regexp.MustCompile(`(?m)^client_id: (\S+)$`)
	clientSecretLine = regexp.MustCompile(`(?m)^client_secret: (\S+)$`)
)

func TestClientsConfidential(t *testing.T) {
	e := newTestEnv(t)
	out := e.ok(t, "clients", "add", "--name", "Build bot", "--redirect-uri", "https://bot.example.com/cb",
		"--redirect-uri", "http://127.0.0.1/cb", "--auth-method", "client_secret_post", "--scope", "files:read")
	id, secret := clientIDLine.FindStringSubmatch(out), clientSecretLine.FindStringSubmatch(out)
	if id == nil || secret == nil || !strings.HasPrefix(secret[1], oauth.PrefixClientSecret) {
		t.Fatalf("clients add: got %q, want client_id and a client_secret", out)
	}
	hash := oauth.HashSecret(secret[1])

	stored, err := e.store(t).GetClient(t.Context(), id[1])
	if err != nil {
		t.Fatal(err)
	}
	if stored.Source != oauth.SourceStatic || !oauth.SecretMatches(secret[1], stored.SecretHash) ||
		stored.TokenEndpointAuthMethod != oauth.AuthClientSecretPost || stored.Scope != "files:read" {
		t.Errorf("stored client: got %+v, want a static client_secret_post client whose secret matches", stored)
	}

	for _, args := range [][]string{
		{"clients", "list"}, {"--json", "clients", "list"}, {"clients", "show", "--", id[1]}, {"--json", "clients", "show", "--", id[1]},
	} {
		got := e.ok(t, args...)
		if !strings.Contains(got, id[1]) || strings.Contains(got, secret[1]) || strings.Contains(got, hash) || strings.Contains(got, oauth.PrefixClientSecret) {
			t.Errorf("latchkey %v: got %q, want the client without its secret or hash", args, got)
		}
	}
	var v clientView
	e.jsonOut(t, &v, "clients", "show", "--", id[1]) // client IDs may start with '-'
	if v.ClientName != "Build bot" || len(v.RedirectURIs) != 2 || v.Source != oauth.SourceStatic {
		t.Errorf("clients show --json: got %+v", v)
	}

	e.ok(t, "clients", "remove", "--", id[1])
	e.fails(t, exitError, "not found", "clients", "show", "--", id[1])
	e.fails(t, exitError, "not found", "clients", "remove", "--", id[1])
}

func TestClientsPublic(t *testing.T) {
	e := newTestEnv(t)
	out := e.ok(t, "clients", "add", "--name", "Desktop", "--public", "--redirect-uri", "http://127.0.0.1:33418/callback")
	if clientIDLine.FindString(out) == "" || clientSecretLine.MatchString(out) || strings.Contains(out, oauth.PrefixClientSecret) {
		t.Fatalf("clients add --public: got %q, want a client_id and no secret", out)
	}
	var resp map[string]any
	e.jsonOut(t, &resp, "clients", "add", "--name", "Desktop 2", "--public", "--redirect-uri", "cursor://anysphere.cursor-retrieval/oauth/callback")
	if _, ok := resp["client_secret"]; ok || resp["token_endpoint_auth_method"] != oauth.AuthNone {
		t.Errorf("clients add --json --public: got %v, want auth method none and no secret", resp)
	}
	var clients []clientView
	e.jsonOut(t, &clients, "clients", "list")
	if len(clients) != 2 {
		t.Errorf("clients list: got %d clients, want 2", len(clients))
	}
}

func TestClientsAddJSONConfidential(t *testing.T) {
	e := newTestEnv(t)
	out := e.ok(t, "--json", "clients", "add", "--name", "J", "--redirect-uri", "https://j.example.com/cb?a=1,2")
	var resp oauth.RegistrationResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.ClientSecret == "" || resp.ClientSecretExpiresAt == nil || len(resp.RedirectURIs) != 1 {
		t.Errorf("clients add --json: got %+v, want a secret and the one redirect URI (commas kept)", resp)
	}
}

func TestClientsAddInvalid(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"--redirect-uri", "https://a/cb"}, "--name is required"},
		{"no redirect", []string{"--name", "a"}, "--redirect-uri is required"},
		{"http non-loopback", []string{"--name", "a", "--redirect-uri", "http://evil.example/cb"}, "non-loopback"},
		{"javascript", []string{"--name", "a", "--redirect-uri", "javascript:alert(1)"}, "forbidden scheme"},
		{"public with secret method", []string{"--name", "a", "--public", "--auth-method", "client_secret_basic", "--redirect-uri", "https://a/cb"}, "--public"},
		{"unknown method", []string{"--name", "a", "--auth-method", "tls_client_auth", "--redirect-uri", "https://a/cb"}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fails(t, exitUsage, tt.want, append([]string{"clients", "add"}, tt.args...)...)
		})
	}
}

// TestClientsPrivateKeyJWT: a pre-registered client with keys gets no
// secret; a private key in the file is refused.
func TestClientsPrivateKeyJWT(t *testing.T) {
	e := newTestEnv(t)
	pub := `{"keys":[{"use":"sig","kty":"EC","kid":"k1","crv":"P-256","alg":"ES256","x":"AzHvQ4znV0c_PP9tSp5cztxBc_jujLHVYCu0UAK-AjY","y":"WPjY7iKltoEs6Z2RPEsRaD8KIeoCxzvHYlkEe5CX75s"}]}`
	priv := strings.Replace(pub, `"y":`, `"d":"A36OH53xjcTh9wKebrow3Jlc3wtEwFyreJS8V8y5pNw","y":`, 1)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := e.ok(t, "clients", "add", "--name", "Keyed", "--redirect-uri", "https://keyed.example/cb", "--jwks-file", write("pub.json", pub))
	if clientSecretLine.MatchString(out) {
		t.Fatalf("a private_key_jwt client got a secret: %q", out)
	}
	id := clientIDLine.FindStringSubmatch(out)[1]
	stored, err := e.store(t).GetClient(t.Context(), id)
	if err != nil || stored.TokenEndpointAuthMethod != oauth.AuthPrivateKeyJWT || stored.JWKS == "" || stored.SecretHash != "" {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	e.ok(t, "clients", "add", "--name", "By URI", "--redirect-uri", "https://keyed.example/cb", "--jwks-uri", "https://keyed.example/jwks.json")
	e.fails(t, exitUsage, "public signing key", "clients", "add", "--name", "Leaky", "--redirect-uri", "https://keyed.example/cb",
		"--jwks-file", write("priv.json", `{"keys":[`+strings.TrimSuffix(strings.TrimPrefix(priv, `{"keys":[`), `]}`)+`]}`))
	e.fails(t, exitUsage, "jwks_uri", "clients", "add", "--name", "Plain", "--redirect-uri", "https://keyed.example/cb", "--jwks-uri", "http://keyed.example/jwks.json")
}
