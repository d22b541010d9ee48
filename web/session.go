package web

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/sessions"

	"github.com/latchkey/latchkey/oauth"
)

// Session value keys.
const (
	sessUserID   = "uid"
	sessAuthTime = "auth_time"
	sessCSRF     = "csrf"
	sessPending  = "pending" // authorization requests started in this browser
	maxPending   = 8
)

// newCookieStore builds the signed and encrypted session store: HttpOnly,
// SameSite=Lax, and Secure when the issuer is https (PX-4).
func newCookieStore(sec *oauth.Secrets, secure bool, maxAge time.Duration) *sessions.CookieStore {
	hashKey, blockKey := sec.CookieKeys()
	cs := sessions.NewCookieStore(hashKey, blockKey)
	cs.Options = &sessions.Options{
		Path: "/", MaxAge: int(maxAge / time.Second), HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return cs
}

// cookieName uses the __Host- prefix when the cookie is Secure (PX-4).
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-latchkey"
	}
	return "latchkey"
}

// session returns the browser session; a tampered or stale cookie yields a
// fresh, empty session rather than an error.
func (s *Server) session(r *http.Request) *sessions.Session {
	sess, err := s.sessions.Get(r, s.cookieName())
	if err != nil {
		sess, _ = s.sessions.New(r, s.cookieName())
	}
	return sess
}

// csrfToken returns the session's CSRF token, creating it when absent.
func csrfToken(sess *sessions.Session) string {
	if t, ok := sess.Values[sessCSRF].(string); ok && t != "" {
		return t
	}
	t := oauth.RandomString(32)
	sess.Values[sessCSRF] = t
	return t
}

// checkCSRF compares the form's csrf_token with the session's (synchronizer
// token pattern), on top of the Origin/Sec-Fetch-Site check.
func checkCSRF(sess *sessions.Session, r *http.Request) bool {
	want, _ := sess.Values[sessCSRF].(string)
	got := r.PostFormValue("csrf_token")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// sessionUser returns the signed-in, still-enabled user, or nil.
func (s *Server) sessionUser(r *http.Request, sess *sessions.Session) *oauth.User {
	id, _ := sess.Values[sessUserID].(string)
	if id == "" {
		return nil
	}
	// A sign-in lasts SessionMaxAge from the login, however often it is used.
	if s.clock().Unix()-authTime(sess) > int64(s.cfg.SessionMaxAge/time.Second) {
		return nil
	}
	u, err := s.store.GetUser(r.Context(), id)
	if err != nil || u.Disabled {
		return nil
	}
	// A password change or reset ends the sessions signed in before it.
	if u.PasswordChangedAt != nil && authTime(sess) < u.PasswordChangedAt.Unix() {
		return nil
	}
	return u
}

// addPending binds an authorization request to this browser.
func addPending(sess *sessions.Session, id string) {
	p, _ := sess.Values[sessPending].([]string)
	p = append(p, id)
	if len(p) > maxPending {
		p = p[len(p)-maxPending:]
	}
	sess.Values[sessPending] = p
}

// hasPending reports whether this browser started the authorization request.
func hasPending(sess *sessions.Session, id string) bool {
	p, _ := sess.Values[sessPending].([]string)
	return slices.Contains(p, id)
}

// dropPending forgets a completed authorization request.
func dropPending(sess *sessions.Session, id string) {
	p, _ := sess.Values[sessPending].([]string)
	sess.Values[sessPending] = slices.DeleteFunc(p, func(x string) bool { return x == id })
}

// authTime is when this session last signed in (Unix seconds), 0 if never.
func authTime(sess *sessions.Session) int64 {
	t, _ := sess.Values[sessAuthTime].(int64)
	return t
}
