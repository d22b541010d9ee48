package oauth

import (
	"strings"
	"testing"
)

// TestGrantScopes: requested ∩ (route ∪ server scopes); foreign scopes are
// dropped and reported; nothing of the route's asked means its base scopes
// (never the step-up ones); bad scope-tokens are invalid_scope.
func TestGrantScopes(t *testing.T) {
	t.Parallel()
	route := &Route{Name: "r", Scopes: []string{"a:read", "a:write", "a:delete"},
		StepUp: []StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{"a:delete"}}}}
	tests := []struct {
		ask, granted, ignored string
		bad                   bool
	}{
		{"", "a:read a:write", "", false},
		{"a:read", "a:read", "", false},
		{"a:delete", "a:delete", "", false},
		{"a:read phone", "a:read", "phone", false},
		{"openid profile email", "a:read a:write", "openid profile email", false},
		{"offline_access", "a:read a:write offline_access", "", false},
		{"offline_access a:write b:x", "a:write offline_access", "b:x", false},
		{"a:read  a:read   ", "a:read", "", false},
		{"a:read\tb", "", "", true},
		{`a"b`, "", "", true},
		{`a\b`, "", "", true},
		{"é", "", "", true},
		{strings.Repeat("x", maxScopeParam+1), "", "", true},
	}
	for _, tt := range tests {
		granted, ignored, err := grantScopes(tt.ask, route)
		if tt.bad {
			if e := AsError(err); err == nil || e.Code != CodeInvalidScope {
				t.Errorf("%.30q: err = %v, want invalid_scope", tt.ask, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.ask, err)
			continue
		}
		if got := strings.Join(granted, " "); got != tt.granted {
			t.Errorf("%q: granted %q, want %q", tt.ask, got, tt.granted)
		}
		if got := strings.Join(ignored, " "); got != tt.ignored {
			t.Errorf("%q: ignored %q, want %q", tt.ask, got, tt.ignored)
		}
	}
}
