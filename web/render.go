package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// pageShell fills the shared layout props.
func (s *Server) pageShell(title string) views.Page {
	return views.Page{
		Title: title, CSSURL: s.assets.URL("css/app.css"),
		JSURL: s.assets.URL("js/app.js"), LogoURL: s.assets.URL("img/logo.svg"),
	}
}

// render writes a component with a status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.ErrorContext(r.Context(), "render page", slog.Any("error", err))
	}
}

// renderError shows an error page: the description of an oauth.Error (safe
// by construction) or a generic message, plus the request ID. The cause is
// logged, never shown.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	e := oauth.AsError(err)
	s.log.LogAttrs(r.Context(), e.LogLevel(), "page error", slog.Any("error", e))
	title := "This request cannot be completed"
	status := e.Status
	if status == 0 || status == http.StatusUnauthorized {
		status = http.StatusBadRequest
	}
	if status >= 500 {
		title = "Something went wrong"
	}
	s.render(w, r, status, views.ErrorPage(views.ErrorProps{
		Page: s.pageShell(title), Status: status, Title: title,
		Message: e.Description, RequestID: RequestID(r.Context()),
	}))
}

// pageError is an error whose text is written for the person at the browser.
func pageError(status int, msg string) error {
	return &oauth.Error{Code: "page_error", Description: msg, Status: status}
}

// seeOther ends a POST with 303 (RFC 9700 §4.12, LX-11).
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// saveSession persists the session; failure is a server error.
func saveSession(w http.ResponseWriter, r *http.Request, sess *sessions.Session) error {
	if err := sess.Save(r, w); err != nil {
		return oauth.ServerError(fmt.Errorf("web: save session: %w", err))
	}
	return nil
}
