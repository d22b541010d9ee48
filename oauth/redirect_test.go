package oauth

import "testing"

// TestRedirectURIsAsRealClientsRegisterThem covers LX-3 with the URIs real
// MCP clients send at registration.
func TestRedirectURIsAsRealClientsRegisterThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		uris   []string
		strict bool
		ok     bool
	}{
		{"ChatGPT", []string{"https://chatgpt.com/connector_platform_oauth_redirect"}, false, true},
		{"claude.ai", []string{"https://claude.ai/api/mcp/auth_callback"}, false, true},
		{"Cursor three kinds in one request", []string{"cursor://anysphere.cursor-retrieval/oauth/user-abc/callback", "http://localhost:54321/callback", "https://cursor.com/oauth/callback"}, false, true},
		{"Cursor in strict mode", []string{"cursor://anysphere.cursor-retrieval/oauth/callback"}, true, false},
		{"VS Code portless loopback", []string{"http://127.0.0.1/", "https://vscode.dev/redirect"}, false, true},
		{"Claude Code loopback random port", []string{"http://localhost:49152/callback"}, false, true},
		{"mcp-remote", []string{"http://127.0.0.1:3334/oauth/callback"}, false, true},
		{"IPv6 loopback", []string{"http://[::1]:8000/cb"}, false, true},
		{"reverse-domain native scheme", []string{"com.example.app:/oauth2redirect"}, false, true},
		{"javascript", []string{"javascript:alert(1)"}, false, false},
		{"JavaScript mixed case", []string{"JaVaScRiPt:alert(1)"}, false, false},
		{"javascript with leading space", []string{" javascript:alert(1)"}, false, false},
		{"trailing whitespace", []string{"https://example.com/cb "}, false, false},
		{"data", []string{"data:text/html,hi"}, false, false},
		{"file", []string{"file:///etc/passwd"}, false, false},
		{"fragment", []string{"https://example.com/cb#frag"}, false, false},
		{"empty fragment", []string{"https://example.com/cb#"}, false, false},
		{"userinfo", []string{"https://user:pw@example.com/cb"}, false, false},
		{"plain http non-loopback", []string{"http://example.com/cb"}, false, false},
		{"http on a name that looks loopback", []string{"http://localhost.evil.com/cb"}, false, false},
		{"relative", []string{"/callback"}, false, false},
		{"one bad among good", []string{"https://ok.example/cb", "http://evil.example/cb"}, false, false},
		// issue 11's attack run: OS protocol handlers and pseudo-schemes
		{"ms-msdt (Follina)", []string{"ms-msdt:/id PCWDiagnostic /skip force"}, false, false},
		{"ms-msdt no space", []string{"ms-msdt:/id"}, false, false},
		{"search-ms", []string{"search-ms:query=x&crumb=location:\\\\evil\\share"}, false, false},
		{"ms-officecmd", []string{"ms-officecmd:{}"}, false, false},
		{"MS-SETTINGS upper case", []string{"MS-SETTINGS:privacy"}, false, false},
		{"view-source", []string{"view-source:https://example.com/"}, false, false},
		{"jar", []string{"jar:https://example.com/a.jar!/x"}, false, false},
		{"vnd.ms- handler with a dot", []string{"vnd.ms-excel:ofe|u|https://evil/x"}, false, false},
		{"dotless private-use scheme", []string{"myapp://callback"}, false, false},
		{"dotless scheme, opaque", []string{"evil:callback"}, false, false},
		{"VS Code scheme", []string{"vscode://vscode.github-authentication/did-authenticate"}, false, true},
		{"reverse-domain with host", []string{"com.example.app://oauth/cb"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err *Error
			for _, u := range tt.uris {
				if err = CheckRedirectURI(u, tt.strict); err != nil {
					break
				}
			}
			if got := err == nil; got != tt.ok {
				t.Fatalf("CheckRedirectURI ok = %v, want %v (err %v)", got, tt.ok, err)
			}
			if err != nil && err.Code != CodeInvalidRedirectURI {
				t.Errorf("code = %q, want invalid_redirect_uri", err.Code)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		registered []string
		requested  string
		want       bool
	}{
		{"exact", []string{"https://app.example/cb"}, "https://app.example/cb", true},
		{"different path", []string{"https://app.example/cb"}, "https://app.example/cb2", false},
		{"extra query", []string{"https://app.example/cb"}, "https://app.example/cb?x=1", false},
		{"case differs", []string{"https://app.example/cb"}, "https://APP.example/cb", false},
		{"different port non-loopback", []string{"https://app.example:8443/cb"}, "https://app.example:9443/cb", false},
		{"port added non-loopback", []string{"https://app.example/cb"}, "https://app.example:443/cb", false},
		{"loopback any port", []string{"http://127.0.0.1:3000/cb"}, "http://127.0.0.1:61234/cb", true},
		{"loopback portless registration", []string{"http://127.0.0.1/"}, "http://127.0.0.1:33418/", true},
		{"localhost any port", []string{"http://localhost/callback"}, "http://localhost:49152/callback", true},
		{"loopback different host", []string{"http://127.0.0.1/cb"}, "http://localhost:5000/cb", false},
		{"loopback different path", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1:5000/other", false},
		{"loopback fragment", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1:5000/cb#x", false},
		{"loopback scheme changes", []string{"http://127.0.0.1/cb"}, "https://127.0.0.1:5000/cb", false},
		{"custom scheme exact", []string{"cursor://anysphere.cursor-retrieval/oauth/callback"}, "cursor://anysphere.cursor-retrieval/oauth/callback", true},
		{"open redirect attempt", []string{"https://app.example/cb"}, "https://evil.example/cb", false},
		// issue 11's attack run: exact match but for the port
		{"loopback trailing question mark", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1:5000/cb?", false},
		{"loopback upper-case scheme", []string{"http://127.0.0.1/cb"}, "HTTP://127.0.0.1:5000/cb", false},
		{"loopback upper-case host", []string{"http://localhost/cb"}, "http://LOCALHOST:5000/cb", false},
		{"loopback escaped path", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1:5000/%63b", false},
		{"loopback empty port", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1:/cb", true},
		{"loopback v6 any port", []string{"http://[::1]/cb"}, "http://[::1]:8080/cb", true},
		{"loopback v6 portless", []string{"http://[::1]:9/cb"}, "http://[::1]/cb", true},
		{"loopback query kept", []string{"http://127.0.0.1/cb?a=1"}, "http://127.0.0.1:5000/cb?a=1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MatchRedirectURI(tt.registered, tt.requested); got != tt.want {
				t.Errorf("MatchRedirectURI(%q, %q) = %v, want %v", tt.registered, tt.requested, got, tt.want)
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	if !LoopbackOnly([]string{"http://127.0.0.1/cb", "http://localhost:3/x"}) {
		t.Error("all-loopback list: got false, want true")
	}
	if LoopbackOnly([]string{"http://127.0.0.1/cb", "https://app.example/cb"}) {
		t.Error("mixed list: got true, want false")
	}
	if LoopbackOnly(nil) {
		t.Error("empty list: got true, want false")
	}
}
