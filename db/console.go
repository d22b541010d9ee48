package db

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/latchkey/latchkey/oauth"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	At        time.Time `bun:"at"`
	Actor     string    `bun:"actor"`
	Action    string    `bun:"action"`
	Target    string    `bun:"target"`
	Detail    string    `bun:"detail"`
	IP        string    `bun:"ip"`
	RequestID string    `bun:"request_id"`
}

type metricRow struct {
	bun.BaseModel `bun:"table:metric_counts"`

	Bucket time.Time `bun:"bucket,pk"`
	Route  string    `bun:"route,pk"`
	Metric string    `bun:"metric,pk"`
	Count  int64     `bun:"count"`
}

// RecordAudit appends an event and sets its ID.
func (s *Store) RecordAudit(ctx context.Context, e *oauth.AuditEvent) error {
	err := checkNUL(e.Actor, e.Action, e.Target, e.Detail, e.IP, e.RequestID)
	if err == nil {
		row := &auditRow{At: toDB(e.At), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail, IP: e.IP, RequestID: e.RequestID}
		if _, err = s.db.NewInsert().Model(row).Returning("id").Exec(ctx); err == nil {
			e.ID = row.ID
		}
	}
	return wrapErr(err, "record audit event %q", e.Action)
}

// ListAudit returns events newest first, filtered by a case-insensitive
// substring of actor, action, target or detail.
func (s *Store) ListAudit(ctx context.Context, f oauth.AuditFilter) ([]*oauth.AuditEvent, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var rows []auditRow
	q := s.db.NewSelect().Model(&rows).OrderExpr("id DESC").Limit(int64(f.Limit))
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	if f.Query != "" && checkNUL(f.Query) == nil {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, col := range []string{"actor", "action", "target", "detail"} {
				q = q.WhereOr("LOWER("+col+") LIKE ? ESCAPE '\\'", like)
			}
			return q
		})
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrapErr(err, "list audit events")
	}
	out := make([]*oauth.AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = &oauth.AuditEvent{ID: r.ID, At: fromDB(r.At), Actor: r.Actor, Action: r.Action, Target: r.Target, Detail: r.Detail, IP: r.IP, RequestID: r.RequestID}
	}
	return out, nil
}

// escapeLike escapes LIKE wildcards so a search is a plain substring.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// AddMetrics adds each count to its hourly bucket in one upsert per row.
func (s *Store) AddMetrics(ctx context.Context, counts []oauth.MetricCount) error {
	if len(counts) == 0 {
		return nil
	}
	rows := make([]metricRow, 0, len(counts))
	for _, c := range counts {
		if err := checkNUL(c.Route, c.Metric); err != nil {
			return wrapErr(err, "add metrics")
		}
		rows = append(rows, metricRow{Bucket: toDB(c.Bucket.UTC().Truncate(time.Hour)), Route: c.Route, Metric: c.Metric, Count: c.Count})
	}
	_, err := s.db.NewInsert().Model(&rows).
		On("CONFLICT (bucket, route, metric) DO UPDATE").
		Set("count = ?TableAlias.count + EXCLUDED.count").Exec(ctx)
	return wrapErr(err, "add metrics")
}

// ListMetrics returns the buckets in [from, to), oldest first.
func (s *Store) ListMetrics(ctx context.Context, from, to time.Time) ([]oauth.MetricCount, error) {
	var rows []metricRow
	err := s.db.NewSelect().Model(&rows).Where("bucket >= ?", toDB(from)).Where("bucket < ?", toDB(to)).
		OrderExpr("bucket, route, metric").Scan(ctx)
	if err != nil {
		return nil, wrapErr(err, "list metrics")
	}
	out := make([]oauth.MetricCount, len(rows))
	for i, r := range rows {
		out[i] = oauth.MetricCount{Bucket: fromDB(r.Bucket), Route: r.Route, Metric: r.Metric, Count: r.Count}
	}
	return out, nil
}

// ListConsents lists a user's remembered consents.
func (s *Store) ListConsents(ctx context.Context, userID string) ([]*oauth.Consent, error) {
	var rows []consentRow
	if err := s.db.NewSelect().Model(&rows).Where("user_id = ?", userID).OrderExpr("client_id, route").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list consents of %q", userID)
	}
	out := make([]*oauth.Consent, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// UpdateRoute replaces every setting of the named route but its creation
// time, or returns oauth.ErrNotFound.
func (s *Store) UpdateRoute(ctx context.Context, r *oauth.Route) error {
	row, err := routeFromDomain(r)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model(row).Column("upstream", "title", "scopes", "step_up", "admin_only",
			"allowed_users", "upstream_header_name", "upstream_header_sealed").WherePK().Exec(ctx))
	}
	return wrapErr(err, "update route %q", r.Name)
}

// ConsoleCounts returns the dashboard's counters: users, clients, routes
// and grants that are neither revoked nor expired at now.
func (s *Store) ConsoleCounts(ctx context.Context, now time.Time) (oauth.Counts, error) {
	var c oauth.Counts
	for _, q := range []struct {
		n     *int
		query *bun.SelectQuery
	}{
		{&c.Users, s.db.NewSelect().Model((*userRow)(nil))},
		{&c.Clients, s.db.NewSelect().Model((*clientRow)(nil))},
		{&c.Routes, s.db.NewSelect().Model((*routeRow)(nil))},
		{&c.ActiveGrants, s.db.NewSelect().Model((*grantRow)(nil)).Where("revoked_at IS NULL").Where("expires_at > ?", toDB(now))},
	} {
		n, err := q.query.Count(ctx)
		if err != nil {
			return c, wrapErr(err, "console counts")
		}
		*q.n = int(n)
	}
	return c, nil
}

// SumMetrics adds up the counters in [from, to) per route and metric; the
// results carry Bucket = from. The dashboard's daily view uses it so a
// week of hourly rows is summed by the database, not sent over.
func (s *Store) SumMetrics(ctx context.Context, from, to time.Time) ([]oauth.MetricCount, error) {
	var rows []struct {
		Route  string `bun:"route"`
		Metric string `bun:"metric"`
		Total  int64  `bun:"total"`
	}
	err := s.db.NewSelect().Model((*metricRow)(nil)).Column("route", "metric").ColumnExpr("SUM(count) AS total").
		Where("bucket >= ?", toDB(from)).Where("bucket < ?", toDB(to)).Group("route", "metric").Scan(ctx, &rows)
	if err != nil {
		return nil, wrapErr(err, "sum metrics")
	}
	out := make([]oauth.MetricCount, len(rows))
	for i, r := range rows {
		out[i] = oauth.MetricCount{Bucket: from, Route: r.Route, Metric: r.Metric, Count: r.Total}
	}
	return out, nil
}
