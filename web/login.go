package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

const maxCredentialLen = 1024

// showLogin handles GET /login.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	next := safeNext(r.URL.Query().Get("next"))
	if s.sessionUser(r, sess) != nil && next != "" {
		// Signed in already, unless the request asks for a fresh sign-in (prompt=login).
		if req := s.requestFromNext(r, next); req == nil || req.Prompt != "login" || authTime(sess) >= req.CreatedAt.Unix() {
			http.Redirect(w, r, next, http.StatusFound)
			return
		}
	}
	props := s.loginProps(r, next)
	props.CSRFToken = csrfToken(sess)
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.renderLogin(w, r, http.StatusOK, props)
}

// loginProps fills the page, naming the client when the login is part of an
// authorization request.
func (s *Server) loginProps(r *http.Request, next string) views.LoginProps {
	p := views.LoginProps{Page: s.pageShell("Sign in"), Action: "/login", Next: next}
	if req := s.requestFromNext(r, next); req != nil {
		if c, err := s.provider.GetClient(oauth.WithRequestIP(r.Context(), oauth.ClientIP(r)), req.ClientID); err == nil {
			p.ClientName = c.Name
		}
	}
	return p
}

// requestFromNext finds the authorization request a next URL continues.
func (s *Server) requestFromNext(r *http.Request, next string) *oauth.AuthRequest {
	u, err := url.Parse(next)
	if err != nil || u.Path != "/consent" {
		return nil
	}
	req, err := s.provider.LoadAuthRequest(r.Context(), u.Query().Get("request_id"))
	if err != nil {
		return nil
	}
	return req
}

// renderLogin widens form-action to the client when signing in may end with
// a redirect straight back to it (a remembered consent).
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, p views.LoginProps) {
	if req := s.requestFromNext(r, p.Next); req != nil {
		setCSP(w, nonceFrom(r), formTarget(req.RedirectURI))
	}
	s.render(w, r, status, views.Login(p))
}

// login handles POST /login (CSRF-checked). The password is checked with
// argon2id; unknown users cost the same. Success rotates the CSRF token and
// ends with 303 (LX-11).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := s.session(r)
	if !s.parseCSRFForm(w, r, sess) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		props := s.loginProps(r, next)
		props.CSRFToken, props.Username, props.Error = csrfToken(sess), username, msg
		s.renderLogin(w, r, status, props)
	}
	// Password guessing: a source gets loginPerMinute attempts a minute.
	if ok, wait := s.loginLimit.Allow(oauth.SourceKey(oauth.ClientIP(r)), s.clock()); !ok {
		if ok, _ := s.throttleAudit.Allow(oauth.SourceKey(oauth.ClientIP(r)), s.clock()); ok {
			s.audit(r, "(throttled)", "login.throttled", "", "further attempts this minute are not recorded")
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		fail(http.StatusTooManyRequests, "Too many sign-in attempts from your network. Wait a minute and try again.")
		return
	}
	if username == "" || password == "" || len(username) > maxCredentialLen || len(password) > maxCredentialLen {
		fail(http.StatusUnauthorized, "Enter your username and password.")
		return
	}
	user, err := s.store.GetUserByUsername(ctx, username)
	hash := ""
	if err == nil {
		hash = user.PasswordHash
	} else if !errors.Is(err, oauth.ErrNotFound) {
		s.renderError(w, r, oauth.ServerError(err))
		return
	}
	ok, err := s.hasher.Verify(ctx, password, hash)
	if err != nil {
		s.renderError(w, r, oauth.ServerError(err))
		return
	}
	if !ok || user == nil || user.Disabled {
		// The username field sometimes holds a mistyped password: log a digest.
		s.log.InfoContext(ctx, "login failed", slog.String("username_sha256", oauth.HashSecret(username)[:12]))
		actor := "(unknown username)" // what was typed may be a password: never record it
		if user != nil {
			actor = user.Username
		}
		s.audit(r, actor, "login.failure", actor, "")
		fail(http.StatusUnauthorized, "Incorrect username or password.")
		return
	}
	sess.Values[sessUserID] = user.ID
	sess.Values[sessAuthTime] = s.clock().Unix()
	delete(sess.Values, sessCSRF) // a new token after sign-in
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "login", slog.String("user_id", user.ID))
	s.audit(r, user.Username, "login.success", user.Username, "")
	if next == "" {
		next = "/"
	}
	seeOther(w, r, next)
}

// logout handles POST /logout (CSRF-checked).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if !s.parseCSRFForm(w, r, sess) {
		return
	}
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	_ = saveSession(w, r, sess)
	seeOther(w, r, "/login")
}

// safeNext accepts only a local path, so the login form is no open redirect.
// Browsers read "\" as "/", and http.Redirect cleans dot segments, so both are
// refused or resolved here before the path is trusted.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.ContainsAny(next, "\\") || strings.Contains(strings.ToLower(next), "%5c") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x21 || next[i] == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return ""
	}
	// The decoded path may hold what the raw string did not (%09 → tab,
	// which browsers drop, turning "/\t/evil" into "//evil"): refuse any
	// control character or backslash after decoding too.
	for i := 0; i < len(clean); i++ {
		if clean[i] < 0x21 || clean[i] == 0x7f || clean[i] == '\\' {
			return ""
		}
	}
	out := (&url.URL{Path: clean}).EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
