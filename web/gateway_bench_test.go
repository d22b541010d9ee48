package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
)

// toolsCallBody is a small tools/call request; toolsCallResult its answer.
const (
	toolsCallBody   = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	toolsCallResult = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}]}}`
)

// BenchmarkGatewayOverhead measures one small tools/call over loopback HTTP,
// in one run: straight to the upstream, through a bare httputil.ReverseProxy,
// and through Latchkey (Origin check, cached token verification, proxy).
// Reported: requests/s and p50/p99 latency per request.
func BenchmarkGatewayOverhead(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, toolsCallResult)
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		FlushInterval: -1,
		// Same pool size as Latchkey's upstream Transport, so only the gateway's work differs.
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, ForceAttemptHTTP2: true},
	})
	defer bare.Close()
	e := newEnv(b, dbtest.SQLite(b))
	e.addRoute("bench", upstream.URL)
	token, _ := e.mintToken(e.user.ID, "bench", "")

	for _, tc := range []struct{ name, url, token string }{
		{"direct", upstream.URL + "/mcp", ""},
		{"bare-reverseproxy", bare.URL + "/mcp", ""},
		{"latchkey", e.resource("bench"), token},
	} {
		b.Run(tc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 1024)
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, tc.url, strings.NewReader(toolsCallBody))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept", "application/json, text/event-stream")
					if tc.token != "" {
						req.Header.Set("Authorization", "Bearer "+tc.token)
					}
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					local = append(local, time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}
