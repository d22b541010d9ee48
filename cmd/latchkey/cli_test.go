package main

// The CLI tests run the whole program in-process through run, each against
// its own temporary SQLite database and data dir. They do not call
// t.Parallel: urfave/cli's shared help flag is written on every run.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/oauth"
)

// TestMain keeps the tests hermetic: urfave/cli reads LATCHKEY_* flag twins
// from the real environment.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LATCHKEY_") && !strings.HasPrefix(name, "LATCHKEY_TEST_") {
			os.Unsetenv(name)
		}
	}
	os.Exit(m.Run())
}

// testEnv is one isolated installation: a data dir holding the database.
type testEnv struct {
	dir  string
	env  map[string]string // what run's getenv sees
	args []string          // global flags put before every command
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	return &testEnv{
		dir: dir, env: map[string]string{},
		args: []string{"--db", "sqlite:" + filepath.Join(dir, "l.db"), "--data-dir", dir, "--log-format", "json"},
	}
}

func (e *testEnv) getenv(name string) string { return e.env[name] }

type result struct {
	code   int
	stdout string
	stderr string
}

// errLine is the last line of stderr, where run reports a failure.
func (r result) errLine() string {
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	return lines[len(lines)-1]
}

// run runs latchkey with the env's global flags, then args, and stdin.
func (e *testEnv) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	full := append(append([]string{"latchkey"}, e.args...), args...)
	code := run(context.Background(), full, strings.NewReader(stdin), &stdout, &stderr, e.getenv)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs latchkey and fails the test unless it exits 0.
func (e *testEnv) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := e.run(t, "", args...)
	if r.code != 0 {
		t.Fatalf("latchkey %s: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// fails runs latchkey and checks the exit code and that the error line
// contains want.
func (e *testEnv) fails(t *testing.T, code int, want string, args ...string) result {
	t.Helper()
	r := e.run(t, "", args...)
	checkFailure(t, r, code, want)
	return r
}

func checkFailure(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code: got %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	line := r.errLine()
	if !strings.HasPrefix(line, "latchkey: ") || !strings.Contains(line, want) {
		t.Fatalf("error line: got %q, want \"latchkey: …%s…\"", line, want)
	}
}

// jsonOut runs latchkey with --json and decodes its output into v.
func (e *testEnv) jsonOut(t *testing.T, v any, args ...string) {
	t.Helper()
	out := e.ok(t, append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("latchkey --json %s: output is not one JSON document: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// store opens the env's database directly, to check what commands stored.
func (e *testEnv) store(t *testing.T) oauth.Store {
	t.Helper()
	bdb, err := db.Open(context.Background(), "sqlite:"+filepath.Join(e.dir, "l.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return db.New(bdb)
}

// syncBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown global flag", []string{"--nope", "users", "list"}, "flag provided but not defined: -nope"},
		{"unknown subcommand", []string{"users", "frob"}, `unknown command "frob" (see latchkey users --help)`},
		{"unknown flag", []string{"users", "add", "--nope"}, "users add: flag provided but not defined: -nope"},
		{"missing flag", []string{"users", "add"}, "--username is required"},
		{"missing argument", []string{"users", "disable"}, "users disable: missing USERNAME"},
		{"extra argument", []string{"routes", "list", "x"}, `unexpected argument "x"`},
		{"flag after argument", []string{"users", "passwd", "bob", "--password-stdin"}, "flag --password-stdin must come before the arguments"},
		{"bad log level", []string{"--log-level", "loud", "users", "list"}, `--log-level "loud"`},
		{"both secrets", []string{"--secret", strings.Repeat("s", 32), "--secret-file", "/x", "keys", "list"}, "either --secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.fails(t, exitUsage, tt.want, tt.args...)
			if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
				t.Errorf("stderr: got %q, want one line", r.stderr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{{"--help"}, {"users"}, {"routes", "add", "--help"}} {
		if out := e.ok(t, args...); !strings.Contains(out, "USAGE") {
			t.Errorf("latchkey %v: got %q, want help text", args, out)
		}
	}
}

func TestMigrateTwice(t *testing.T) {
	e := newTestEnv(t)
	var first, second migrationReport
	e.jsonOut(t, &first, "migrate")
	if len(first.Applied) == 0 || len(first.Applied) != first.Total {
		t.Errorf("first migrate: got %+v, want every migration applied", first)
	}
	e.jsonOut(t, &second, "migrate")
	if len(second.Applied) != 0 || second.Total != first.Total {
		t.Errorf("second migrate: got %+v, want nothing applied of %d", second, first.Total)
	}
	if out := e.ok(t, "migrate"); !strings.Contains(out, "nothing to apply") {
		t.Errorf("text output: got %q, want it to say nothing was applied", out)
	}
}
