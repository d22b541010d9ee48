package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/sessions"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// Session keys of the console.
const (
	sessFlash       = "flash"
	sessFlashKind   = "flash_kind"
	sessFlashSecret = "flash_secret"
	sessFlashLabel  = "flash_label"
)

// consoleUserKey carries the signed-in user and session to console handlers.
type consoleUserKey struct{}

type consoleCtx struct {
	user *oauth.User
	sess *sessions.Session
}

// signedIn is the console's gate: a signed-in, enabled user; with admin,
// an administrator. Anonymous GETs go to the login page; everything else is
// a 403 page. Every POST must carry the session's CSRF token (the
// Origin/Sec-Fetch-Site check runs before this).
func (s *Server) signedIn(admin bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		user := s.sessionUser(r, sess)
		if user == nil {
			if r.Method == http.MethodGet {
				seeOther(w, r, "/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode())
				return
			}
			s.renderError(w, r, pageError(http.StatusForbidden, "Your sign-in has ended. Sign in again and retry."))
			return
		}
		if admin && !user.Admin {
			s.log.InfoContext(r.Context(), "console: not an administrator", "user_id", user.ID, "path", r.URL.Path)
			s.renderError(w, r, pageError(http.StatusForbidden, "This page is for administrators. Ask one if you need access."))
			return
		}
		if r.Method == http.MethodPost && !s.parseCSRFForm(w, r, sess) {
			return
		}
		ctx := context.WithValue(r.Context(), consoleUserKey{}, consoleCtx{user: user, sess: sess})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// current returns the console's user and session.
func current(r *http.Request) (*oauth.User, *sessions.Session) {
	c, _ := r.Context().Value(consoleUserKey{}).(consoleCtx)
	return c.user, c.sess
}

// frame builds the console shell for a page, consuming the flash message.
func (s *Server) frame(w http.ResponseWriter, r *http.Request, title, section string, crumbs ...views.Crumb) views.Console {
	user, sess := current(r)
	_, hadToken := sess.Values[sessCSRF]
	c := views.Console{Page: s.pageShell(title), Section: section, Admin: user.Admin, Crumbs: crumbs}
	c.Page.Username, c.Page.CSRFToken = user.Username, csrfToken(sess)
	changed := !hadToken
	if text, ok := sess.Values[sessFlash].(string); ok && text != "" {
		changed = true
		kind, _ := sess.Values[sessFlashKind].(string)
		secret, _ := sess.Values[sessFlashSecret].(string)
		label, _ := sess.Values[sessFlashLabel].(string)
		c.Flash = &views.Flash{Kind: kind, Text: text, Secret: secret, SecretLabel: label}
		for _, k := range []string{sessFlash, sessFlashKind, sessFlashSecret, sessFlashLabel} {
			delete(sess.Values, k)
		}
	}
	if changed { // a new CSRF token, or the flash was shown
		_ = saveSession(w, r, sess)
	}
	return c
}

// flashTo ends a POST: a one-time message, then 303 to a page (PRG).
func (s *Server) flashTo(w http.ResponseWriter, r *http.Request, to, kind, text string) {
	s.flashSecretTo(w, r, to, kind, text, "", "")
}

// flashSecretTo is flashTo with a secret shown once on the next page.
func (s *Server) flashSecretTo(w http.ResponseWriter, r *http.Request, to, kind, text, label, secret string) {
	_, sess := current(r)
	sess.Values[sessFlash], sess.Values[sessFlashKind] = text, kind
	if secret != "" {
		sess.Values[sessFlashSecret], sess.Values[sessFlashLabel] = secret, label
	}
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	seeOther(w, r, to)
}

// consoleError logs err and shows a generic page; never internal text.
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, err error) {
	s.renderError(w, r, oauth.ServerError(err))
}

// failed ends a console request when err is set: oauth.ErrNotFound is a
// 404 page naming what is missing ("client", "user", …), anything else a
// generic error page. It reports whether it did.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, oauth.ErrNotFound):
		s.renderError(w, r, pageError(http.StatusNotFound, "There is no such "+what+"."))
	default:
		s.consoleError(w, r, err)
	}
	return true
}

// when formats a time for the console ("" for the zero time).
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// whenPtr formats an optional time.
func whenPtr(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return when(*t)
}
