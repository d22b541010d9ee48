package oauth

import "testing"

func TestRouteForResource(t *testing.T) {
	t.Parallel()
	const iss = "https://auth.example.com"
	tests := []struct {
		resource string
		route    string
		ok       bool
	}{
		{"https://auth.example.com/mcp/files", "files", true},
		{"HTTPS://AUTH.EXAMPLE.COM/mcp/files", "files", true},
		{"https://auth.example.com:443/mcp/files", "files", true},
		{"https://auth.example.com/mcp/files/", "files", true},
		{"https://auth.example.com/mcp/files//", "", false},
		{"https://auth.example.com/mcp/Files", "", false},
		{"https://auth.example.com/MCP/files", "", false},
		{"https://auth.example.com/mcp/files#x", "", false},
		{"https://auth.example.com/mcp/files?x=1", "", false},
		{"https://auth.example.com:8443/mcp/files", "", false},
		{"http://auth.example.com/mcp/files", "", false},
		{"https://other.example.com/mcp/files", "", false},
		{"https://auth.example.com/mcp/files/sub", "", false},
		{"https://auth.example.com/mcp/", "", false},
		{"https://auth.example.com", "", false},
		{"files", "", false},
		{"https://auth.example.com:/mcp/files", "", false},
		{"https://auth.example.com/mcp/files?", "", false},
		{"https://auth.exa\u212Aple.com/mcp/files", "", false}, // Kelvin sign lower-cases to k
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			t.Parallel()
			got, ok := RouteForResource(iss, tt.resource)
			if ok != tt.ok || got != tt.route {
				t.Errorf("RouteForResource(%q) = %q, %v; want %q, %v", tt.resource, got, ok, tt.route, tt.ok)
			}
		})
	}
	if got := ResourceURL(iss+"/", "files"); got != iss+"/mcp/files" {
		t.Errorf("ResourceURL = %q, want %q", got, iss+"/mcp/files")
	}
}

func TestRouteForResourceLoopbackIssuer(t *testing.T) {
	t.Parallel()
	got, ok := RouteForResource("http://127.0.0.1:8080", "http://127.0.0.1:8080/mcp/demo")
	if !ok || got != "demo" {
		t.Fatalf("got %q, %v; want demo, true", got, ok)
	}
	if _, ok := RouteForResource("http://127.0.0.1:8080", "http://127.0.0.1:8081/mcp/demo"); ok {
		t.Fatal("a different port matched")
	}
}

// TestValidateIssuer (AS-19): https, or plain http only on loopback.
func TestValidateIssuer(t *testing.T) {
	t.Parallel()
	for iss, ok := range map[string]bool{
		"https://auth.example.com": true, "http://127.0.0.1:8080": true, "http://localhost:8080": true,
		"http://[::1]:8080": true, "http://auth.example.com": false, "https://auth.example.com?x=1": false,
		"https://auth.example.com#f": false, "ftp://auth.example.com": false, "auth.example.com": false,
	} {
		if err := ValidateIssuer(iss); (err == nil) != ok {
			t.Errorf("ValidateIssuer(%q) = %v, want ok=%v", iss, err, ok)
		}
	}
}
