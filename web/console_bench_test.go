package web_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
)

// BenchmarkConsolePages renders the heaviest console pages through the full
// handler chain (session, CSP, store reads) with a week of hourly counters
// for 20 routes behind the dashboard's charts.
func BenchmarkConsolePages(b *testing.B) {
	e := newEnv(b, dbtest.SQLite(b))
	e.addUser("root", "root password 1", true)
	now := e.clock.Now()
	var rows []oauth.MetricCount
	for h := range 7 * 24 {
		for r := range 20 {
			for _, m := range []string{oauth.MetricTokensIssued, oauth.MetricGatewayRequests, oauth.MetricGatewayErrors} {
				rows = append(rows, oauth.MetricCount{Bucket: now.Add(-time.Duration(h) * time.Hour), Route: "route-" + strconv.Itoa(r), Metric: m, Count: int64(h*r%97 + 1)})
			}
		}
	}
	if err := e.store.AddMetrics(context.Background(), rows); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		e.store.RecordAudit(context.Background(), &oauth.AuditEvent{At: now, Actor: "root", Action: "route.create", Target: "r" + strconv.Itoa(i)})
	}
	c := e.browser()
	e.loginAs(c, "root", "root password 1")
	for _, path := range []string{"/admin", "/admin?window=7d", "/admin/audit", "/admin/tokens"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				resp := e.get(c, path)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}
