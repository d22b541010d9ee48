package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// maxChartSeries bounds the lines per chart (the busiest routes).
const maxChartSeries = 6

// dashboard handles GET /admin: counts and per-route traffic charts read
// from the hourly counters.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.clock().UTC()
	counts, err := s.store.ConsoleCounts(ctx, now)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	window := r.URL.Query().Get("window")
	buckets, step, label := 24, time.Hour, "15:04"
	end := now.Truncate(time.Hour).Add(time.Hour)
	if window == "7d" {
		buckets, step, label = 7, 24*time.Hour, "Mon 2"
		end = now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	} else {
		window = "24h"
	}
	start := end.Add(-time.Duration(buckets) * step)
	rows, err := s.metricBuckets(ctx, start, step, buckets)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	labels := make([]string, buckets)
	for i := range labels {
		if window == "7d" || i%6 == 0 {
			labels[i] = start.Add(time.Duration(i) * step).Format(label)
		}
	}
	charts := []views.Chart{
		buildChart("Tokens issued", oauth.MetricTokensIssued, rows, start, step, buckets, labels),
		buildChart("Gateway requests", oauth.MetricGatewayRequests, rows, start, step, buckets, labels),
		buildChart("Gateway errors (refusals and upstream failures)", oauth.MetricGatewayErrors, rows, start, step, buckets, labels),
	}
	s.render(w, r, http.StatusOK, views.Dashboard(views.DashboardProps{
		Console: s.frame(w, r, "Dashboard", "dashboard"),
		Stats: []views.Stat{
			{Label: "Users", Value: counts.Users, URL: "/admin/users"},
			{Label: "Clients", Value: counts.Clients, URL: "/admin/clients"},
			{Label: "MCP servers", Value: counts.Routes, URL: "/admin/routes"},
			{Label: "Active grants", Value: counts.ActiveGrants, URL: "/admin/tokens"},
		},
		Window: window, Charts: charts,
	}))
}

// metricBuckets reads the counters: hourly rows as stored, or one summed
// row per route, metric and day.
func (s *Server) metricBuckets(ctx context.Context, start time.Time, step time.Duration, buckets int) ([]oauth.MetricCount, error) {
	if step == time.Hour {
		return s.store.ListMetrics(ctx, start, start.Add(time.Duration(buckets)*step))
	}
	var rows []oauth.MetricCount
	for i := range buckets {
		from := start.Add(time.Duration(i) * step)
		day, err := s.store.SumMetrics(ctx, from, from.Add(step))
		if err != nil {
			return nil, err
		}
		rows = append(rows, day...)
	}
	return rows, nil
}

// buildChart turns counter rows into one series per route for a metric.
func buildChart(title, metric string, rows []oauth.MetricCount, start time.Time, step time.Duration, buckets int, labels []string) views.Chart {
	byRoute := map[string][]int64{}
	for _, m := range rows {
		if m.Metric != metric {
			continue
		}
		i := int(m.Bucket.Sub(start) / step)
		if i < 0 || i >= buckets {
			continue
		}
		if byRoute[m.Route] == nil {
			byRoute[m.Route] = make([]int64, buckets)
		}
		byRoute[m.Route][i] += m.Count
	}
	c := views.Chart{Title: title, Labels: labels, Max: 1}
	for route, values := range byRoute {
		sr := views.Series{Name: route, Values: values}
		for _, v := range values {
			sr.Total += v
			c.Max = max(c.Max, v)
		}
		c.Series = append(c.Series, sr)
	}
	sort.Slice(c.Series, func(i, j int) bool {
		if c.Series[i].Total != c.Series[j].Total {
			return c.Series[i].Total > c.Series[j].Total
		}
		return c.Series[i].Name < c.Series[j].Name
	})
	if len(c.Series) > maxChartSeries {
		c.Series = c.Series[:maxChartSeries]
	}
	for i := range c.Series {
		c.Series[i].Color = i
	}
	return c
}
