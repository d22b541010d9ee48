package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// latchkeyBinary builds cmd/latchkey once per test binary run.
var latchkeyBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "latchkey-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "latchkey")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/latchkey").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (b *buildError) Error() string { return b.err.Error() + ": " + b.out }

// installation is one database and master secret shared by processes.
type installation struct {
	t      *testing.T
	bin    string
	dsn    string
	secret string
	data   string
	env    []string // extra environment for every process (test switches)
}

// cli runs an admin command against the installation.
func (in *installation) cli(stdin string, args ...string) string {
	in.t.Helper()
	cmd := exec.Command(in.bin, append([]string{"--db", in.dsn, "--data-dir", in.data}, args...)...)
	cmd.Env = append(append(os.Environ(), "LATCHKEY_SECRET="+in.secret), in.env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		in.t.Fatalf("latchkey %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// process is one running `latchkey serve`.
type process struct {
	base string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// serve starts a replica on addr with the shared issuer.
func (in *installation) serve(addr, issuer string, extra ...string) *process {
	in.t.Helper()
	p := &process{base: "http://" + addr, logs: &lockedBuffer{}}
	args := append([]string{"--db", in.dsn, "--data-dir", in.data, "serve", "--addr", addr}, extra...)
	p.cmd = exec.Command(in.bin, args...)
	p.cmd.Env = append(append(os.Environ(), "LATCHKEY_SECRET="+in.secret, "LATCHKEY_ISSUER="+issuer), in.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.t.Fatalf("replica on %s did not become ready:\n%s", addr, p.logs.String())
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitRefused polls until call returns 401 and reports how long it took.
func waitRefused(t *testing.T, what string, since time.Time, call func() int) time.Duration {
	t.Helper()
	return waitStatus(t, what, since, http.StatusUnauthorized, call)
}

// waitStatus polls until call returns want, failing after revocationBound
// (the documented propagation bound), and reports how long it took.
func waitStatus(t *testing.T, what string, since time.Time, want int, call func() int) time.Duration {
	t.Helper()
	for {
		got := call()
		if got == want {
			return time.Since(since)
		}
		if time.Since(since) > revocationBound {
			t.Fatalf("%s: still %d, not %d, %s after the change", what, got, want, revocationBound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTwoProcessesOneDatabase: two `latchkey serve` processes share one
// database (Postgres when LATCHKEY_TEST_POSTGRES is set, and an SQLite file)
// with the production revocation poll (500 ms): a token issued by A is
// accepted by B; revoked on A, refused by B within the bound (measured); a
// key rotated with the CLI verifies on both; refresh-token reuse on B
// revokes the family on A; clean-up runs on both at once.
func TestTwoProcessesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	eachBinaryBackend(t, twoProcesses)
}

// eachBinaryBackend runs fn as a parallel subtest per database backend
// (an SQLite file, and Postgres when LATCHKEY_TEST_POSTGRES is set, which
// CI always sets) with a fresh installation for the real binary.
func eachBinaryBackend(t *testing.T, fn func(t *testing.T, in *installation)) {
	t.Helper()
	bin, err := latchkeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	backends := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "shared.db") },
	}
	if os.Getenv("LATCHKEY_TEST_POSTGRES") != "" {
		backends["postgres"] = func(t *testing.T) string { return dbtest.PostgresDSN(t) }
	} else if os.Getenv("CI") == "true" {
		t.Fatal("CI must set LATCHKEY_TEST_POSTGRES")
	}
	for name, dsn := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, &installation{t: t, bin: bin, dsn: dsn(t), secret: strings.Repeat("s", 40), data: t.TempDir()})
		})
	}
}

func twoProcesses(t *testing.T, in *installation) {
	up := newEchoUpstream(t)
	in.cli("", "migrate")
	in.cli("correct horse battery\n", "users", "add", "--username", "alice", "--password-stdin")
	in.cli("", "routes", "add", "--name", "echo", "--upstream", up.srv.URL+"/mcp")
	addrA, addrB := freeAddr(t), freeAddr(t)
	issuer := "http://" + addrA
	fast := []string{"--key-reload-interval", "300ms", "--cleanup-interval", "200ms"}
	a := in.serve(addrA, issuer, fast...)
	b := in.serve(addrB, issuer, fast...)

	// A client of A gets tokens through A's pages.
	e := &env{t: t, issuer: issuer, user: &oauth.User{Username: "alice"}, password: "correct horse battery"}
	reg := e.registerPublic(cb)
	code, verifier := e.codeFlow(reg.ClientID, cb, "echo", "")
	resp, tok := e.exchange(reg.ClientID, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)

	call := func(p *process, token string) int {
		req, _ := http.NewRequest(http.MethodPost, p.base+"/mcp/echo", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Host = addrA // a load balancer passes the issuer's host to every replica
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 { // accepted by both, and cached by both
		if ca, cb := call(a, access), call(b, access); ca != http.StatusOK || cb != http.StatusOK {
			t.Fatalf("token issued by A: A %d, B %d", ca, cb)
		}
	}

	// Key rotation with the CLI: both replicas pick it up without restart;
	// the old key keeps verifying.
	in.cli("", "keys", "rotate")
	var rotated string
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, tok := e.refresh(reg.ClientID, refresh)
		wantStatus(t, resp, http.StatusOK)
		refresh = tok["refresh_token"].(string)
		if kid := jwtKID(t, tok["access_token"].(string)); kid != jwtKID(t, access) {
			rotated = tok["access_token"].(string)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("A still signs with the old key 10 s after keys rotate")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if call(b, rotated) != http.StatusOK || call(a, rotated) != http.StatusOK || call(b, access) != http.StatusOK {
		t.Fatal("after rotation: the new key's token or the old key's token is refused")
	}

	// Revocation on A reaches B's cache within the bound.
	revokeForm := url.Values{"token": {rotated}, "client_id": {reg.ClientID}}
	start := time.Now()
	r, err := http.PostForm(issuer+"/revoke", revokeForm)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("revoke on A: %v %v", r, err)
	}
	r.Body.Close()
	took := waitRefused(t, "revoked on A, used on B", start, func() int { return call(b, rotated) })
	// More samples of the bound: fresh access tokens, cached on B, revoked on A.
	worst := took
	for range 8 {
		resp, tok := e.refresh(reg.ClientID, refresh)
		wantStatus(t, resp, http.StatusOK)
		refresh = tok["refresh_token"].(string)
		at := tok["access_token"].(string)
		if call(b, at) != http.StatusOK {
			t.Fatal("a fresh token is refused by B")
		}
		start := time.Now()
		r, err := http.PostForm(issuer+"/revoke", url.Values{"token": {at}, "client_id": {reg.ClientID}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		worst = max(worst, waitRefused(t, "revoked on A, used on B", start, func() int { return call(b, at) }))
	}
	t.Logf("%s: revoked on A, refused by B within %s in 9 trials (poll 500 ms, bound %s)", t.Name(), worst.Round(time.Millisecond), revocationBound)

	// Refresh-token reuse on B revokes the family everywhere.
	resp, tok = e.refresh(reg.ClientID, refresh)
	wantStatus(t, resp, http.StatusOK)
	fresh := tok["access_token"].(string)
	if call(a, fresh) != http.StatusOK {
		t.Fatal("a fresh token is refused by A")
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {reg.ClientID}}
	r, err = http.PostForm(b.base+"/token", form) // the rotated-out token, replayed on B
	if err != nil || r.StatusCode != http.StatusBadRequest {
		t.Fatalf("refresh reuse on B: %v %v", r, err)
	}
	r.Body.Close()
	start = time.Now()
	took = waitRefused(t, "family revoked on B, used on A", start, func() int { return call(a, fresh) })
	t.Logf("%s: refresh reuse on B, family refused by A after %s", t.Name(), took.Round(time.Millisecond))
	if resp, _ := e.refresh(reg.ClientID, tok["refresh_token"].(string)); resp.StatusCode == http.StatusOK {
		t.Fatal("the newest refresh token of a revoked family still works")
	}

	// Clean-up runs on both replicas at once and removes expired state.
	bdb := dbtest.Open(t, in.dsn)
	st := db.New(bdb)
	past := time.Now().Add(-time.Hour)
	for i := range 20 {
		if err := st.CreateAuthRequest(context.Background(), &oauth.AuthRequest{ID: "stale" + strconv.Itoa(i), ClientID: reg.ClientID,
			RedirectURI: cb, Route: "echo", Resource: issuer + "/mcp/echo", CreatedAt: past, ExpiresAt: past.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err := st.GetAuthRequest(context.Background(), "stale19")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired authorization requests not cleaned up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a few more concurrent passes
	for name, p := range map[string]*process{"A": a, "B": b} {
		if logs := p.logs.String(); strings.Contains(logs, "clean-up failed") || strings.Contains(logs, `"level":"ERROR"`) {
			t.Errorf("replica %s logged errors:\n%s", name, logs)
		}
	}
	if !strings.Contains(a.logs.String()+b.logs.String(), `"msg":"clean-up"`) {
		t.Error("no clean-up pass was logged")
	}
}

// jwtKID reads the kid of a compact JWS without verifying it.
func jwtKID(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte(`"kid":"`))
	if i < 0 {
		t.Fatalf("no kid in %s", raw)
	}
	rest := raw[i+7:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}
