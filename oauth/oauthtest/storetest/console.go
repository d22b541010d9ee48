package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// testAuditLog: events come back newest first, paged by ID and searched
// by substring (wildcards are literal).
func testAuditLog(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	for i, a := range []string{"login.success", "route.create", "login.failure", "token.revoke"} {
		e := &oauth.AuditEvent{At: base().Add(time.Duration(i) * time.Minute), Actor: "alice", Action: a, Target: "files_100%", Detail: "d", IP: "192.0.2.1", RequestID: "r"}
		must(t, "RecordAudit", s.RecordAudit(ctx, e))
		if e.ID == 0 {
			t.Fatal("no ID set")
		}
	}
	all, err := s.ListAudit(ctx, oauth.AuditFilter{Limit: 10})
	must(t, "ListAudit", err)
	if len(all) != 4 || all[0].Action != "token.revoke" || all[3].Action != "login.success" {
		t.Fatalf("ListAudit = %v", all)
	}
	page, err := s.ListAudit(ctx, oauth.AuditFilter{Limit: 2, BeforeID: all[1].ID})
	must(t, "ListAudit page", err)
	if len(page) != 2 || page[0].ID != all[2].ID {
		t.Fatalf("page after %d = %v", all[1].ID, page)
	}
	hits, err := s.ListAudit(ctx, oauth.AuditFilter{Query: "LOGIN"})
	must(t, "ListAudit query", err)
	if len(hits) != 2 {
		t.Fatalf("search LOGIN = %d events", len(hits))
	}
	if hits, _ := s.ListAudit(ctx, oauth.AuditFilter{Query: "100%"}); len(hits) != 4 {
		t.Fatalf("search 100%% = %d", len(hits))
	}
	if hits, _ := s.ListAudit(ctx, oauth.AuditFilter{Query: "1_0"}); len(hits) != 0 {
		t.Fatalf("_ acted as a wildcard: %d", len(hits))
	}
}

// testMetrics: counts add up per hourly bucket and come back by range.
func testMetrics(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	h := base().Truncate(time.Hour)
	must(t, "AddMetrics", s.AddMetrics(ctx, []oauth.MetricCount{
		{Bucket: h.Add(5 * time.Minute), Route: "files", Metric: oauth.MetricGatewayRequests, Count: 3},
		{Bucket: h, Route: "files", Metric: oauth.MetricGatewayErrors, Count: 1},
		{Bucket: h.Add(time.Hour), Route: "notes", Metric: oauth.MetricTokensIssued, Count: 2},
	}))
	must(t, "AddMetrics again", s.AddMetrics(ctx, []oauth.MetricCount{{Bucket: h.Add(59 * time.Minute), Route: "files", Metric: oauth.MetricGatewayRequests, Count: 4}}))
	got, err := s.ListMetrics(ctx, h, h.Add(time.Hour))
	must(t, "ListMetrics", err)
	if len(got) != 2 || got[0].Metric != oauth.MetricGatewayErrors || got[1].Count != 7 || !got[1].Bucket.Equal(h) {
		t.Fatalf("ListMetrics first hour = %+v", got)
	}
	all, _ := s.ListMetrics(ctx, h, h.Add(2*time.Hour))
	if len(all) != 3 {
		t.Fatalf("two hours = %+v", all)
	}
}

// testRouteUpdateAndConsents: UpdateRoute replaces settings; ListConsents
// lists a user's consents.
func testRouteUpdateAndConsents(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	r := newRoute("files", base())
	must(t, "CreateRoute", s.CreateRoute(ctx, r))
	r.Title, r.Upstream, r.Scopes, r.AdminOnly = "Files v2", "https://files2.example/mcp", []string{"a", "b"}, true
	must(t, "UpdateRoute", s.UpdateRoute(ctx, r))
	got, err := s.GetRoute(ctx, "files")
	must(t, "GetRoute", err)
	if got.Title != "Files v2" || got.Upstream != "https://files2.example/mcp" || len(got.Scopes) != 2 || !got.AdminOnly {
		t.Fatalf("updated route = %+v", got)
	}
	wantErr(t, "UpdateRoute unknown", s.UpdateRoute(ctx, newRoute("nope", base())), oauth.ErrNotFound)
	for _, c := range []string{"c1", "c2"} {
		must(t, "SaveConsent", s.SaveConsent(ctx, &oauth.Consent{UserID: "u1", ClientID: c, Route: "files", Scopes: []string{"a"}, CreatedAt: base(), UpdatedAt: base()}))
	}
	must(t, "SaveConsent", s.SaveConsent(ctx, &oauth.Consent{UserID: "u2", ClientID: "c1", Route: "files", CreatedAt: base(), UpdatedAt: base()}))
	cs, err := s.ListConsents(ctx, "u1")
	must(t, "ListConsents", err)
	if len(cs) != 2 || cs[0].ClientID != "c1" {
		t.Fatalf("ListConsents = %+v", cs)
	}
}
