package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTokenRequest serves one /token request in-process (no network) so the
// figures are the server's own: handler, client auth, store and signing.
func benchTokenRequest(b *testing.B, h http.Handler, form url.Values) string {
	req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// reportCPU adds grants/s and CPU per grant (this process: Latchkey plus
// SQLite when embedded; Postgres' own CPU is not included).
func reportCPU(b *testing.B, cpu time.Duration, wall time.Duration) {
	b.ReportMetric(float64(b.N)/wall.Seconds(), "grants/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/grant")
}

// BenchmarkCodeExchange measures the authorization_code grant: atomic code
// redemption, grant and refresh-token inserts in one transaction, ES256 signing.
func BenchmarkCodeExchange(b *testing.B) {
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, db.New(be.Open(b)))
			reg := e.registerPublic(cb)
			ctx := context.Background()
			verifier := oauth.RandomString(32)
			codes := make([]string, b.N)
			now := e.clock.Now()
			for i := range codes {
				codes[i] = oauth.NewSecret(oauth.PrefixCode)
				err := e.store.CreateCode(ctx, &oauth.Code{
					Hash: oauth.HashSecret(codes[i]), GrantID: oauth.RandomString(16), ClientID: reg.ClientID,
					UserID: e.user.ID, RedirectURI: cb, Route: "files", Resource: e.resource("files"),
					Scopes: []string{"files:read"}, CodeChallenge: oauth.S256Challenge(verifier),
					CreatedAt: now, ExpiresAt: now.Add(time.Hour),
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			h := e.srv.Config.Handler
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := range b.N {
				benchTokenRequest(b, h, url.Values{"grant_type": {"authorization_code"}, "code": {codes[i]},
					"redirect_uri": {cb}, "code_verifier": {verifier}, "client_id": {reg.ClientID}})
			}
			reportCPU(b, cpuTime()-cpu0, time.Since(start))
		})
	}
}

// BenchmarkRefresh measures the refresh_token grant: atomic use of the old
// token, a new one in the family, grant touch, ES256 signing.
func BenchmarkRefresh(b *testing.B) {
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, db.New(be.Open(b)))
			reg := e.registerPublic(cb)
			code, verifier := e.codeFlow(reg.ClientID, cb, "files", "")
			_, tok := e.exchange(reg.ClientID, code, cb, verifier)
			rt := tok["refresh_token"].(string)
			h := e.srv.Config.Handler
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for range b.N {
				resp := benchTokenRequest(b, h, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {reg.ClientID}})
				rt = extractJSONString(resp, "refresh_token")
			}
			reportCPU(b, cpuTime()-cpu0, time.Since(start))
		})
	}
}

// extractJSONString pulls one string field out of a small JSON object.
func extractJSONString(js, field string) string {
	key := `"` + field + `":"`
	i := strings.Index(js, key)
	if i < 0 {
		return ""
	}
	rest := js[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}
