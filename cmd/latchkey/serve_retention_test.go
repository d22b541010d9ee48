package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestServeRefusesBadClientRetention: a negative idle retention and a
// non-positive unused retention are refused before the database is opened.
func TestServeRefusesBadClientRetention(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"negative idle", []string{"--idle-client-retention", "-1h"}, exitError, "idle client retention"},
		{"negative unused", []string{"--unused-client-retention", "-1h"}, exitUsage, "--unused-client-retention must be positive"},
		{"zero unused", []string{"--unused-client-retention", "0"}, exitUsage, "--unused-client-retention must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.fails(t, tt.code, tt.want, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if _, err := os.Stat(filepath.Join(e.dir, "l.db")); !os.IsNotExist(err) {
				t.Errorf("database: got stat error %v, want none created", err)
			}
		})
	}
}
