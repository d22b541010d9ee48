package web

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/web/metrics"
)

// prometheus handles GET /metrics in the Prometheus text format. Scrapers
// authenticate with Config.MetricsToken; without one configured, only
// loopback peers are answered (the counters name routes).
func (s *Server) prometheus(w http.ResponseWriter, r *http.Request) {
	if !s.metricsAllowed(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		http.Error(w, "metrics need the scrape token", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	totals := s.metrics.Totals()
	keys := make([]metrics.Series, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Metric != keys[j].Metric {
			return keys[i].Metric < keys[j].Metric
		}
		return keys[i].Route < keys[j].Route
	})
	help := map[string]string{
		oauth.MetricTokensIssued:    "Access tokens issued by this process, per route.",
		oauth.MetricGatewayRequests: "Gateway requests on known routes handled by this process.",
		oauth.MetricGatewayErrors:   "Gateway responses >= 400 except 401 challenges, per route.",
	}
	for _, m := range []string{oauth.MetricGatewayErrors, oauth.MetricGatewayRequests, oauth.MetricTokensIssued} {
		name := "latchkey_" + m + "_total"
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, help[m], name)
		for _, k := range keys {
			if k.Metric == m {
				fmt.Fprintf(&b, "%s{route=%q} %d\n", name, k.Route, totals[k])
			}
		}
	}
	// Not per route: what this process's clean-up passes deleted.
	fmt.Fprintf(&b, "# HELP latchkey_clients_reaped_total Stale client registrations deleted by this process's clean-up.\n# TYPE latchkey_clients_reaped_total counter\n")
	for _, k := range [][2]string{{"idle", oauth.MetricClientsReapedIdle}, {"unused", oauth.MetricClientsReapedUnused}} {
		fmt.Fprintf(&b, "latchkey_clients_reaped_total{kind=%q} %d\n", k[0], totals[metrics.Series{Metric: k[1]}])
	}
	fmt.Fprintf(&b, "# HELP latchkey_token_cache_entries Verified access tokens cached by this process.\n# TYPE latchkey_token_cache_entries gauge\nlatchkey_token_cache_entries %d\n", s.gateway.CachedTokens())
	fmt.Fprintf(&b, "# HELP go_goroutines Goroutines of this process.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) metricsAllowed(r *http.Request) bool {
	if s.cfg.MetricsToken != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) == 1
	}
	a, err := netip.ParseAddr(oauth.ClientIP(r))
	return err == nil && a.Unmap().IsLoopback()
}
