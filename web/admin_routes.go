package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

func routeRow(r *oauth.Route, issuer string) views.RouteRow {
	policy := "everyone"
	switch {
	case r.AdminOnly:
		policy = "administrators"
	case len(r.AllowedUsers) > 0:
		policy = strings.Join(r.AllowedUsers, ", ")
	}
	return views.RouteRow{Name: r.Name, Title: r.Title, Upstream: r.Upstream, Scopes: strings.Join(r.Scopes, " "),
		URL: oauth.ResourceURL(issuer, r.Name), Policy: policy}
}

// listRoutes handles GET /admin/routes.
func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request) {
	routes, err := s.store.ListRoutes(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	rows := make([]views.RouteRow, 0, len(routes))
	for _, rt := range routes {
		rows = append(rows, routeRow(rt, s.cfg.Issuer))
	}
	s.render(w, r, http.StatusOK, views.Routes(views.RoutesProps{
		Console: s.frame(w, r, "MCP servers", "routes", views.Crumb{Label: "MCP servers"}), Routes: rows}))
}

// routeForm fills the form from a stored route.
func routeForm(rt *oauth.Route, issuer string) views.RouteFormProps {
	var rules []string
	for _, rule := range rt.StepUp {
		rules = append(rules, oauth.FormatStepUpRule(rule))
	}
	return views.RouteFormProps{Editing: true, Name: rt.Name, Title: rt.Title, Upstream: rt.Upstream,
		Scopes: strings.Join(rt.Scopes, " "), StepUp: strings.Join(rules, "\n"), AdminOnly: rt.AdminOnly,
		AllowedUsers: strings.Join(rt.AllowedUsers, " "), HeaderName: rt.UpstreamHeaderName,
		HeaderSet: len(rt.UpstreamHeaderSealed) > 0, ResourceURL: oauth.ResourceURL(issuer, rt.Name)}
}

func (s *Server) renderRouteForm(w http.ResponseWriter, r *http.Request, status int, p views.RouteFormProps) {
	crumb := "New"
	if p.Editing {
		crumb = p.Name
	}
	p.Console = s.frame(w, r, "MCP server", "routes", views.Crumb{Label: "MCP servers", URL: "/admin/routes"}, views.Crumb{Label: crumb})
	s.render(w, r, status, views.RouteForm(p))
}

// newRouteForm handles GET /admin/routes/new.
func (s *Server) newRouteForm(w http.ResponseWriter, r *http.Request) {
	s.renderRouteForm(w, r, http.StatusOK, views.RouteFormProps{})
}

// editRouteForm handles GET /admin/routes/{name}.
func (s *Server) editRouteForm(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.loadRoute(w, r)
	if ok {
		s.renderRouteForm(w, r, http.StatusOK, routeForm(rt, s.cfg.Issuer))
	}
}

func (s *Server) loadRoute(w http.ResponseWriter, r *http.Request) (*oauth.Route, bool) {
	rt, err := s.store.GetRoute(r.Context(), r.PathValue("name"))
	if s.failed(w, r, err, "MCP server") {
		return nil, false
	}
	return rt, true
}

// routeFromForm validates the form onto rt; errors go next to the fields.
func (s *Server) routeFromForm(ctx context.Context, r *http.Request, rt *oauth.Route, p *views.RouteFormProps) {
	p.Title, p.Upstream = strings.TrimSpace(r.PostFormValue("title")), strings.TrimSpace(r.PostFormValue("upstream"))
	p.Scopes, p.StepUp = r.PostFormValue("scopes"), r.PostFormValue("step_up")
	p.AdminOnly, p.AllowedUsers = r.PostFormValue("admin_only") != "", r.PostFormValue("allowed_users")
	p.HeaderName = strings.TrimSpace(r.PostFormValue("header_name"))
	p.Errors = views.FieldErrors{}
	if !oauth.CleanText(p.Title, oauth.MaxRouteTitleLen) {
		p.Errors["title"] = fmt.Sprintf("Use at most %d printable characters.", oauth.MaxRouteTitleLen)
	}
	if err := oauth.CheckUpstream(p.Upstream); err != nil {
		p.Errors["upstream"] = "The upstream URL is not valid: " + err.Error() + "."
	}
	scopes, err := oauth.ParseScopes([]string{p.Scopes})
	if err != nil {
		p.Errors["scopes"] = err.Error()
	}
	rt.Title, rt.Upstream, rt.Scopes, rt.AdminOnly, rt.StepUp, rt.AllowedUsers = p.Title, p.Upstream, scopes, p.AdminOnly, nil, nil
	for _, line := range strings.Split(p.StepUp, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		rule, err := oauth.ParseStepUpRule(line)
		if err != nil {
			p.Errors["step_up"] = "Step-up rule " + err.Error() + "."
			break
		}
		rt.ApplyStepUp(rule)
	}
	for _, u := range strings.Fields(p.AllowedUsers) {
		if _, err := s.store.GetUserByUsername(ctx, u); err != nil {
			p.Errors["allowed_users"] = "There is no user " + u + "."
			break
		}
		rt.AllowedUsers = append(rt.AllowedUsers, u)
	}
	value := r.PostFormValue("header_value")
	switch {
	case r.PostFormValue("header_clear") != "":
		rt.UpstreamHeaderName, rt.UpstreamHeaderSealed = "", nil
	case value != "":
		name, v, err := oauth.ParseUpstreamHeader(p.HeaderName + ": " + value)
		if err != nil {
			p.Errors["header"] = "Give a header name and a value without line breaks."
			break
		}
		rt.UpstreamHeaderName, rt.UpstreamHeaderSealed = name, s.secrets.Seal([]byte(v), oauth.UpstreamHeaderAAD(rt.Name))
	case p.HeaderName != "" && len(rt.UpstreamHeaderSealed) == 0:
		p.Errors["header"] = "Give the credential's value too."
	}
}

// createRoute handles POST /admin/routes.
func (s *Server) createRoute(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	p := views.RouteFormProps{Name: strings.TrimSpace(r.PostFormValue("name"))}
	rt := &oauth.Route{Name: p.Name, CreatedAt: s.clock().UTC()}
	s.routeFromForm(r.Context(), r, rt, &p)
	if !oauth.ValidRouteName(p.Name) {
		p.Errors["name"] = "Use 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit."
	}
	if len(p.Errors) == 0 {
		err := s.store.CreateRoute(r.Context(), rt)
		if errors.Is(err, oauth.ErrConflict) {
			p.Errors["name"] = "An MCP server with this name exists."
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	if len(p.Errors) > 0 {
		s.renderRouteForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	s.audit(r, user.Username, "route.create", rt.Name, rt.Upstream)
	s.flashTo(w, r, "/admin/routes/"+rt.Name, "ok", "Published at "+oauth.ResourceURL(s.cfg.Issuer, rt.Name)+".")
}

// updateRoute handles POST /admin/routes/{name}.
func (s *Server) updateRoute(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	rt, ok := s.loadRoute(w, r)
	if !ok {
		return
	}
	p := routeForm(rt, s.cfg.Issuer)
	s.routeFromForm(r.Context(), r, rt, &p)
	if len(p.Errors) > 0 {
		s.renderRouteForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err := s.store.UpdateRoute(r.Context(), rt); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "route.update", rt.Name, rt.Upstream)
	s.flashTo(w, r, "/admin/routes/"+rt.Name, "ok", "Saved. Every replica uses the new settings within 5 seconds.")
}

// deleteRoute handles POST /admin/routes/{name}/delete.
func (s *Server) deleteRoute(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	name := r.PathValue("name")
	err := s.store.DeleteRoute(r.Context(), name)
	switch {
	case errors.Is(err, oauth.ErrNotFound):
		s.renderError(w, r, pageError(http.StatusNotFound, "There is no such MCP server."))
		return
	case errors.Is(err, oauth.ErrConflict):
		s.flashTo(w, r, "/admin/routes/"+name, "error", "Grants or consents still refer to this MCP server; revoke them first.")
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "route.delete", name, "")
	s.flashTo(w, r, "/admin/routes", "ok", "MCP server "+name+" deleted.")
}

// testRoute handles POST /admin/routes/{name}/test: an MCP initialize to
// the upstream with its credential (the session is closed again).
func (s *Server) testRoute(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.loadRoute(w, r)
	if !ok {
		return
	}
	msg, err := s.probeUpstream(r.Context(), rt)
	kind := "ok"
	if err != nil {
		kind, msg = "error", err.Error()
	}
	s.flashTo(w, r, "/admin/routes/"+rt.Name, kind, msg)
}

// probeUpstream returns a readable result; its errors are safe to show.
func (s *Server) probeUpstream(ctx context.Context, rt *oauth.Route) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"latchkey-console","version":"1"}}}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rt.Upstream, strings.NewReader(body))
	if err != nil {
		return "", errors.New("the upstream URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if rt.UpstreamHeaderName != "" {
		v, err := s.secrets.Open(rt.UpstreamHeaderSealed, oauth.UpstreamHeaderAAD(rt.Name))
		if err != nil {
			return "", errors.New("the stored upstream credential cannot be read with this master secret")
		}
		req.Header.Set(rt.UpstreamHeaderName, string(v))
	}
	// Like the gateway's transport: never the environment's proxy (the
	// credential must not travel through it), no redirects.
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		s.log.InfoContext(ctx, "console: upstream probe failed", "route", rt.Name, "error", err)
		return "", errors.New("the upstream did not answer (connection failed or timed out)")
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
		del, _ := http.NewRequestWithContext(ctx, http.MethodDelete, rt.Upstream, nil)
		del.Header = req.Header.Clone()
		del.Header.Set("Mcp-Session-Id", sid)
		if dr, err := client.Do(del); err == nil {
			dr.Body.Close()
		}
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the upstream answered HTTP %d to an MCP initialize", resp.StatusCode)
	}
	var info struct {
		Result struct {
			ServerInfo struct{ Name, Version string } `json:"serverInfo"`
		} `json:"result"`
	}
	if i := bytes.Index(raw, []byte(`{"jsonrpc"`)); i >= 0 {
		dec := json.NewDecoder(bytes.NewReader(raw[i:]))
		_ = dec.Decode(&info)
	}
	if info.Result.ServerInfo.Name == "" {
		return "The upstream answered HTTP 200, but not with an MCP initialize result.", nil
	}
	name := oauth.Truncate(info.Result.ServerInfo.Name+" "+info.Result.ServerInfo.Version, 120)
	return "Reached " + name + ": it answered MCP initialize.", nil
}
