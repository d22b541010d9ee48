package oauth

import (
	"strings"
	"testing"
	"time"
)

// TestConfigClientRetention: the unused retention defaults to 24 h, the
// idle one stays off when zero, and negative retentions are refused.
func TestConfigClientRetention(t *testing.T) {
	t.Parallel()
	c := Config{Issuer: "https://as.example"}.WithDefaults()
	if c.UnusedClientTTL != DefaultUnusedClientTTL || c.IdleClientTTL != 0 {
		t.Fatalf("defaults: unused %s idle %s, want %s and 0 (off)", c.UnusedClientTTL, c.IdleClientTTL, DefaultUnusedClientTTL)
	}
	tests := []struct {
		name         string
		unused, idle time.Duration
		want         string // "" = valid
	}{
		{"defaults", DefaultUnusedClientTTL, DefaultIdleClientTTL, ""},
		{"idle off", time.Hour, 0, ""},
		{"short", time.Second, 2 * time.Second, ""},
		{"negative idle", time.Hour, -time.Second, "idle client retention"},
		{"negative unused", -time.Second, time.Hour, "unused client retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Config{Issuer: "https://as.example", ClientMetadata: ClientMetadataAdvertise, UnusedClientTTL: tt.unused, IdleClientTTL: tt.idle}
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: got %v, want an error about %s", err, tt.want)
			}
		})
	}
}
