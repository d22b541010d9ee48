package web

import (
	"context"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// home handles GET /: what this server is and which MCP servers it publishes.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	routes, err := s.store.ListRoutes(r.Context())
	if err != nil {
		s.renderError(w, r, oauth.ServerError(err))
		return
	}
	sess := s.session(r)
	p := views.HomeProps{Page: s.pageShell("Latchkey"), Issuer: s.cfg.Issuer}
	if u := s.sessionUser(r, sess); u != nil {
		p.Page.Username, p.Page.CSRFToken = u.Username, csrfToken(sess)
		_ = saveSession(w, r, sess)
	}
	for _, rt := range routes {
		p.Routes = append(p.Routes, views.HomeRoute{Name: rt.Name, Title: rt.Title, URL: oauth.ResourceURL(s.cfg.Issuer, rt.Name)})
	}
	s.render(w, r, http.StatusOK, views.Home(p))
}

// healthz reports the process is up.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz reports whether the database answers within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.provider.Ping(ctx); err != nil {
		s.log.ErrorContext(ctx, "readiness check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
	for _, warn := range s.cfg.Warnings {
		_, _ = w.Write([]byte("warning: " + warn + "\n"))
	}
}
