package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

func (p *program) routesCommand() *cli.Command {
	return &cli.Command{
		Name:  "routes",
		Usage: "manage the upstream MCP servers published at {issuer}/mcp/{name}",
		Subcommands: []*cli.Command{
			{
				Name: "add", Usage: "publish an upstream MCP server",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "name", Usage: "route name: 1–63 of a-z 0-9 _ -, starting with a letter or digit"},
					&cli.StringFlag{Name: "upstream", Usage: "the upstream MCP endpoint, an absolute http(s) URL"},
					&cli.StringSliceFlag{Name: "scope", Usage: "a scope tokens for this route may carry (repeatable, or space-separated)"},
					&cli.StringFlag{Name: "title", Usage: "name shown on the consent page"},
					jsonFlag(),
				}, routePolicyFlags()...),
				Action: p.addRoute,
			},
			{Name: "list", Usage: "list routes", Flags: []cli.Flag{jsonFlag()}, Action: p.listRoutes},
			{Name: "show", Usage: "show a route and its resource URL", ArgsUsage: "NAME", Flags: []cli.Flag{jsonFlag()}, Action: p.showRoute},
			{Name: "remove", Usage: "remove a route", ArgsUsage: "NAME", Flags: []cli.Flag{jsonFlag()}, Action: p.removeRoute},
		},
	}
}

// routeView is a route as admin output shows it.
type routeView struct {
	Name             string             `json:"name"`
	Title            string             `json:"title,omitempty"`
	Upstream         string             `json:"upstream"`
	Scopes           []string           `json:"scopes"`
	StepUp           []oauth.StepUpRule `json:"step_up,omitempty"`
	AdminOnly        bool               `json:"admin_only,omitempty"`
	AllowedUsers     []string           `json:"allowed_users,omitempty"`
	UpstreamHeader   string             `json:"upstream_header,omitempty"` // the header's name only
	Resource         string             `json:"resource"`
	ResourceMetadata string             `json:"resource_metadata"`
	CreatedAt        time.Time          `json:"created_at"`
}

func newRouteView(r *oauth.Route, issuer string) routeView {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return routeView{
		Name: r.Name, Title: r.Title, Upstream: r.Upstream, Scopes: scopes, CreatedAt: r.CreatedAt,
		StepUp: r.StepUp, AdminOnly: r.AdminOnly, AllowedUsers: r.AllowedUsers, UpstreamHeader: r.UpstreamHeaderName,
		Resource: oauth.ResourceURL(issuer, r.Name), ResourceMetadata: resourceMetadataURL(issuer, r.Name),
	}
}

// resourceMetadataURL is where the gateway serves a route's RFC 9728 metadata.
func resourceMetadataURL(issuer, route string) string {
	return strings.TrimRight(issuer, "/") + "/.well-known/oauth-protected-resource" + oauth.RoutePathPrefix + route
}

func (p *program) addRoute(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	r := &oauth.Route{Name: c.String("name"), Upstream: c.String("upstream"), Title: strings.TrimSpace(c.String("title"))}
	switch {
	case r.Name == "":
		return usageErrorf("routes add: --name is required")
	case r.Upstream == "":
		return usageErrorf("routes add: --upstream is required")
	}
	if err := checkRouteName(r.Name); err != nil {
		return err
	}
	if err := checkUpstream(r.Upstream); err != nil {
		return err
	}
	if !oauth.CleanText(r.Title, oauth.MaxRouteTitleLen) {
		return usageErrorf("invalid --title: use at most %d printable characters", oauth.MaxRouteTitleLen)
	}
	scopes, err := parseScopes(c.StringSlice("scope"))
	if err != nil {
		return err
	}
	r.Scopes = scopes
	header, err := p.applyRoutePolicy(c, r)
	if err != nil {
		return err
	}
	if err := p.sealUpstreamHeader(r, header); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		r.CreatedAt = time.Now().UTC()
		if err := env.store.CreateRoute(ctx, r); err != nil {
			if errors.Is(err, oauth.ErrConflict) {
				return explain(err, "route %q already exists", r.Name)
			}
			return fmt.Errorf("create route: %w", err)
		}
		env.audit(ctx, "route.create", r.Name, r.Upstream)
		out := p.printer(c)
		v := newRouteView(r, p.issuer())
		if out.json {
			return out.JSON(v)
		}
		out.linef("created route %s", r.Name)
		out.linef("resource: %s", v.Resource)
		return nil
	})
}

func (p *program) listRoutes(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		routes, err := env.store.ListRoutes(ctx)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		out := p.printer(c)
		if out.json {
			views := make([]routeView, 0, len(routes))
			for _, r := range routes {
				views = append(views, newRouteView(r, p.issuer()))
			}
			return out.JSON(views)
		}
		rows := make([][]string, 0, len(routes))
		for _, r := range routes {
			rows = append(rows, []string{r.Name, r.Title, r.Upstream, strings.Join(r.Scopes, " "), textTime(r.CreatedAt)})
		}
		return out.table([]string{"NAME", "TITLE", "UPSTREAM", "SCOPES", "CREATED"}, rows)
	})
}

func (p *program) showRoute(c *cli.Context) error {
	args, err := positional(c, "name")
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		r, err := getRoute(ctx, env.store, args[0])
		if err != nil {
			return err
		}
		out := p.printer(c)
		v := newRouteView(r, p.issuer())
		if out.json {
			return out.JSON(v)
		}
		return out.fields([][2]string{
			{"name", v.Name},
			{"title", v.Title},
			{"upstream", v.Upstream},
			{"scopes", strings.Join(v.Scopes, " ")},
			{"resource", v.Resource},
			{"resource metadata", v.ResourceMetadata},
			{"created", textTime(v.CreatedAt)},
		})
	})
}

func (p *program) removeRoute(c *cli.Context) error {
	args, err := positional(c, "name")
	if err != nil {
		return err
	}
	if err := checkRouteName(args[0]); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		err := env.store.DeleteRoute(ctx, args[0])
		switch {
		case errors.Is(err, oauth.ErrNotFound):
			return explain(err, "route %q not found", args[0])
		case errors.Is(err, oauth.ErrConflict):
			return explain(err, "route %q is still in use (grants or consents refer to it)", args[0])
		case err != nil:
			return fmt.Errorf("remove route: %w", err)
		}
		env.audit(ctx, "route.delete", args[0], "")
		return p.printer(c).removed("route", args[0])
	})
}

// getRoute looks a route up by name, with a readable error when there is none.
func getRoute(ctx context.Context, st oauth.RouteStore, name string) (*oauth.Route, error) {
	if err := checkRouteName(name); err != nil {
		return nil, err
	}
	r, err := st.GetRoute(ctx, name)
	if errors.Is(err, oauth.ErrNotFound) {
		return nil, explain(err, "route %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get route: %w", err)
	}
	return r, nil
}

func checkRouteName(name string) error {
	if !oauth.ValidRouteName(name) {
		return usageErrorf("invalid route name %q: use 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit", name)
	}
	return nil
}
