package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

var passwordLine = regexp.MustCompile(`(?m)^password: (\S+)$`)

// checkPassword fails unless username's stored hash matches password.
func checkPassword(t *testing.T, e *testEnv, username, password string) {
	t.Helper()
	ctx := context.Background()
	u, err := e.store(t).GetUserByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := newHasher().Verify(ctx, password, u.PasswordHash)
	if err != nil || !ok {
		t.Fatalf("password of %s: got no match (err %v), want the password to verify", username, err)
	}
}

func TestUsersAddGeneratesPasswordOnce(t *testing.T) {
	e := newTestEnv(t)
	out := e.ok(t, "users", "add", "--username", "alice", "--admin")
	m := passwordLine.FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("users add output: got %q, want exactly one password line", out)
	}
	checkPassword(t, e, "alice", m[0][1])

	list := e.ok(t, "users", "list")
	if strings.Contains(list, m[0][1]) || strings.Contains(list, "argon2") {
		t.Errorf("users list: got %q, want neither the password nor its hash", list)
	}
	var users []userView
	e.jsonOut(t, &users, "users", "list")
	if len(users) != 1 || users[0].Username != "alice" || !users[0].Admin || users[0].Disabled || users[0].Password != "" {
		t.Errorf("users list --json: got %+v, want one enabled admin alice without password", users)
	}
	if !strings.HasPrefix(users[0].ID, "usr_") {
		t.Errorf("user ID: got %q, want prefix %q", users[0].ID, "usr_")
	}
}

func TestUsersAddJSON(t *testing.T) {
	e := newTestEnv(t)
	var v userView
	e.jsonOut(t, &v, "users", "add", "--username", "bob@example.com")
	if v.Username != "bob@example.com" || v.Password == "" || v.Admin {
		t.Fatalf("users add --json: got %+v, want bob@example.com with a generated password", v)
	}
	checkPassword(t, e, "bob@example.com", v.Password)
}

func TestUsersAddPasswordStdin(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		want  string // password stored; "" when the command must fail
		err   string
	}{
		{"line", "correct horse battery\n", "correct horse battery", ""},
		{"crlf", "s3cret-pass\r\n", "s3cret-pass", ""},
		{"no newline", "s3cret-pass", "s3cret-pass", ""},
		{"only first line", "first-line-pw\nsecond\n", "first-line-pw", ""},
		{"too short", "short\n", "", "at least 8 characters"},
		{"empty", "", "", "no password on stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			r := e.run(t, tt.stdin, "users", "add", "--username", "carol", "--password-stdin")
			if tt.want == "" {
				checkFailure(t, r, exitError, tt.err)
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "password:") {
				t.Errorf("output: got %q, want no password printed", r.stdout)
			}
			checkPassword(t, e, "carol", tt.want)
		})
	}
}

func TestUsersAddDuplicate(t *testing.T) {
	e := newTestEnv(t)
	e.ok(t, "users", "add", "--username", "x")
	r := e.fails(t, exitError, `user "x" already exists`, "users", "add", "--username", "x")
	if r.errLine() != `latchkey: user "x" already exists` {
		t.Errorf("error line: got %q, want exactly the conflict message", r.errLine())
	}
}

func TestUsersAddInvalidUsername(t *testing.T) {
	e := newTestEnv(t)
	for _, name := range []string{"has space", "semi;colon", "ünïcode", strings.Repeat("a", 65), "nul\x00"} {
		e.fails(t, exitUsage, "invalid username", "users", "add", "--username", name)
	}
	e.ok(t, "users", "add", "--username", strings.Repeat("a", 64))
}

func TestUsersDisableEnable(t *testing.T) {
	e := newTestEnv(t)
	e.ok(t, "users", "add", "--username", "dave")
	disabled := func() bool {
		var users []userView
		e.jsonOut(t, &users, "users", "list")
		return users[0].Disabled
	}
	e.ok(t, "users", "disable", "dave")
	if !disabled() {
		t.Fatal("after disable: got enabled, want disabled")
	}
	if out := e.ok(t, "users", "list"); !regexp.MustCompile(`dave\s+no\s+yes`).MatchString(out) {
		t.Errorf("users list: got %q, want dave shown as disabled", out)
	}
	e.ok(t, "users", "enable", "dave")
	if disabled() {
		t.Fatal("after enable: got disabled, want enabled")
	}
	e.fails(t, exitError, `user "nobody" not found`, "users", "disable", "nobody")
}

func TestUsersPasswd(t *testing.T) {
	e := newTestEnv(t)
	e.ok(t, "users", "add", "--username", "erin")
	out := e.ok(t, "users", "passwd", "erin")
	m := passwordLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("users passwd: got %q, want a password line", out)
	}
	checkPassword(t, e, "erin", m[1])

	r := e.run(t, "a-new-password\n", "users", "passwd", "--password-stdin", "erin")
	if r.code != 0 || strings.Contains(r.stdout, "password:") {
		t.Fatalf("users passwd --password-stdin: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	checkPassword(t, e, "erin", "a-new-password")

	checkFailure(t, e.run(t, "short\n", "users", "passwd", "--password-stdin", "erin"), exitError, "at least 8")
	e.fails(t, exitError, `user "frank" not found`, "users", "passwd", "frank")
}
