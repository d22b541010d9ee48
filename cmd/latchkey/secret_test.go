package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestDecodeSecret(t *testing.T) {
	raw := bytes.Repeat([]byte{0xa5}, 32)
	tests := []struct {
		name string
		in   string
		want []byte // nil: must fail
	}{
		{"hex", hex.EncodeToString(raw), raw},
		{"base64", base64.StdEncoding.EncodeToString(raw), raw},
		{"base64 with newline", base64.StdEncoding.EncodeToString(raw) + "\n", raw},
		{"base64url raw", base64.RawURLEncoding.EncodeToString(raw), raw},
		{"passphrase", "correct horse battery staple, twice!", []byte("correct horse battery staple, twice!")},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:16]), nil},
		{"short", "tooshort", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeSecret(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("got %x, want an error", got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("got %x (err %v), want %x", got, err, tt.want)
			}
		})
	}
}

func TestSecretFileGenerated(t *testing.T) {
	e := newTestEnv(t)
	dataDir := filepath.Join(e.dir, "data")
	e.args = append(e.args, "--data-dir", dataDir) // the later flag wins
	e.ok(t, "keys", "list")

	path := filepath.Join(dataDir, secretFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode: got %04o, want 0600", perm)
	}
	if di, err := os.Stat(dataDir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("data dir: got %v (err %v), want mode 0700", di.Mode().Perm(), err)
	}
	before, _ := os.ReadFile(path)
	secret, err := decodeSecret(string(before))
	if err != nil || len(secret) != generatedSecretLen {
		t.Errorf("secret file: got %d bytes (err %v), want %d", len(secret), err, generatedSecretLen)
	}
	e.ok(t, "keys", "rotate") // reuses the file: the sealed key still opens
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("secret file changed on the second use, want it created once")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dataDir, ".secret-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestSecretFileReadableByOthersRefused(t *testing.T) {
	e := newTestEnv(t)
	content := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	generated := filepath.Join(e.dir, secretFileName)
	if err := os.WriteFile(generated, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(generated, 0o644); err != nil { // in spite of the umask
		t.Fatal(err)
	}
	e.fails(t, exitError, "chmod 600 "+generated, "keys", "list")

	explicit := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(explicit, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "--secret-file", explicit, "keys", "list")
	if err := os.Chmod(explicit, 0o640); err != nil {
		t.Fatal(err)
	}
	e.fails(t, exitError, "accessible by group or others", "--secret-file", explicit, "keys", "list")
}

func TestEnsureSecretFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", secretFileName)
	const n = 8
	got := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			got[i], created[i], err = ensureSecretFile(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if created[i] {
			creators++
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("caller %d got a different secret", i)
		}
	}
	if creators != 1 {
		t.Errorf("creators: got %d, want 1", creators)
	}
}

func TestSecretFlagTooShort(t *testing.T) {
	e := newTestEnv(t)
	r := e.fails(t, exitError, "too short", "--secret", "short", "keys", "list")
	if strings.Contains(r.stderr, `"short"`) {
		t.Errorf("stderr: got %q, want the secret not echoed", r.stderr)
	}
}
