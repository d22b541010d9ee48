package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/latchkey/latchkey/oauth"
)

func routeFromDomain(r *oauth.Route) (*routeRow, error) {
	if err := checkNUL(r.Name, r.Upstream, r.Title); err != nil {
		return nil, err
	}
	if err := checkNULLists(r.Scopes, r.AllowedUsers); err != nil {
		return nil, err
	}
	stepUp := r.StepUp
	if stepUp == nil {
		stepUp = []oauth.StepUpRule{}
	}
	js, err := json.Marshal(stepUp)
	if err != nil {
		return nil, fmt.Errorf("db: encode step-up rules: %w", err)
	}
	if err := checkNUL(string(js), r.UpstreamHeaderName); err != nil {
		return nil, err
	}
	return &routeRow{
		Name:                 r.Name,
		Upstream:             r.Upstream,
		Title:                r.Title,
		Scopes:               copyList(r.Scopes),
		CreatedAt:            toDB(r.CreatedAt),
		StepUp:               string(js),
		AdminOnly:            r.AdminOnly,
		AllowedUsers:         copyList(r.AllowedUsers),
		UpstreamHeaderName:   r.UpstreamHeaderName,
		UpstreamHeaderSealed: r.UpstreamHeaderSealed,
	}, nil
}

func (r *routeRow) toDomain() *oauth.Route {
	var stepUp []oauth.StepUpRule
	_ = json.Unmarshal([]byte(r.StepUp), &stepUp) // written by routeFromDomain; "" or bad JSON means no rules
	if len(stepUp) == 0 {
		stepUp = nil
	}
	return &oauth.Route{
		Name:                 r.Name,
		Upstream:             r.Upstream,
		Title:                r.Title,
		Scopes:               r.Scopes,
		StepUp:               stepUp,
		AdminOnly:            r.AdminOnly,
		AllowedUsers:         r.AllowedUsers,
		UpstreamHeaderName:   r.UpstreamHeaderName,
		UpstreamHeaderSealed: r.UpstreamHeaderSealed,
		CreatedAt:            fromDB(r.CreatedAt),
	}
}

// CreateRoute inserts r; an existing name gives oauth.ErrConflict.
func (s *Store) CreateRoute(ctx context.Context, r *oauth.Route) error {
	row, err := routeFromDomain(r)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create route %q", r.Name)
}

// GetRoute returns the route with the given name or oauth.ErrNotFound.
func (s *Store) GetRoute(ctx context.Context, name string) (*oauth.Route, error) {
	row := new(routeRow)
	err := validKey(name)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("name = ?", name).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get route %q", name)
	}
	return row.toDomain(), nil
}

// ListRoutes returns all routes, oldest first.
func (s *Store) ListRoutes(ctx context.Context) ([]*oauth.Route, error) {
	var rows []routeRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "name").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list routes")
	}
	out := make([]*oauth.Route, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// DeleteRoute deletes the route, or returns oauth.ErrNotFound.
func (s *Store) DeleteRoute(ctx context.Context, name string) error {
	err := validKey(name)
	if err == nil {
		err = checkAffected(s.db.NewDelete().Model((*routeRow)(nil)).Where("name = ?", name).Exec(ctx))
	}
	return wrapErr(err, "delete route %q", name)
}
