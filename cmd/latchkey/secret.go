package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/latchkey/latchkey/oauth"
)

const (
	// secretFileName is the generated master secret inside the data dir.
	secretFileName = "secret"
	// generatedSecretLen is the number of random bytes of a generated secret.
	generatedSecretLen = 32
	// maxSecretFileSize bounds what is read from a secret file.
	maxSecretFileSize = 4 << 10
)

// secrets derives the keys from the master secret: --secret, else
// --secret-file, else <data-dir>/secret, generated on first use.
func (p *program) secrets() (*oauth.Secrets, error) {
	master, err := p.masterSecret()
	if err != nil {
		return nil, err
	}
	s, err := oauth.NewSecrets(master)
	if err != nil {
		return nil, fmt.Errorf("master secret: %w", err)
	}
	return s, nil
}

func (p *program) masterSecret() ([]byte, error) {
	o := p.opts
	switch {
	case o.secret != "" && o.secretFile != "":
		return nil, usageErrorf("set either --secret (LATCHKEY_SECRET) or --secret-file (LATCHKEY_SECRET_FILE), not both")
	case o.secret != "":
		b, err := decodeSecret(o.secret)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		return b, nil
	case o.secretFile != "":
		return readSecretFile(o.secretFile)
	}
	path := filepath.Join(o.dataDir, secretFileName)
	b, created, err := ensureSecretFile(path)
	if err != nil {
		return nil, err
	}
	if created {
		p.log.Warn("generated a new master secret; back it up, without it signing keys and stored upstream tokens cannot be read",
			slog.String("path", path))
	}
	return b, nil
}

// decodeSecret accepts hex or base64 (standard or URL alphabet, padded or
// not) that decodes to at least 32 bytes, or else the string itself when it
// is at least 32 bytes long.
func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= oauth.MinMasterSecretLen {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= oauth.MinMasterSecretLen {
			return b, nil
		}
	}
	if len(s) >= oauth.MinMasterSecretLen {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("the master secret is too short: use at least %d random bytes, e.g. the output of `openssl rand -base64 32`", oauth.MinMasterSecretLen)
}

// readSecretFile reads a master secret from a file only its owner can read.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s is accessible by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize))
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	secret, err := decodeSecret(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret file %s: %w", path, err)
	}
	return secret, nil
}

// ensureSecretFile reads the secret at path, creating it first (mode 0600,
// its directory 0700) with random bytes when it does not exist. The file
// appears complete or not at all, so concurrent first starts agree.
func ensureSecretFile(path string) (secret []byte, created bool, err error) {
	secret, err = readSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create data dir: %w", err)
	}
	raw := make([]byte, generatedSecretLen)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	content := []byte(base64.StdEncoding.EncodeToString(raw) + "\n")
	err = publishFile(dir, path, content)
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its secret
		secret, err = readSecretFile(path)
		return secret, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create secret file: %w", err)
	}
	return raw, true, nil
}

// publishFile creates path with content and mode 0600 unless it exists
// (fs.ErrExist): written to a temporary file first, then hard-linked into
// place, falling back to an exclusive create where links are unsupported.
func publishFile(dir, path string, content []byte) error {
	tmp, err := os.CreateTemp(dir, ".secret-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
