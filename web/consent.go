package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/sessions"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// flowRequest loads the pending authorization request named by request_id
// and checks that this browser started it.
func (s *Server) flowRequest(r *http.Request, sess *sessions.Session, id string) (*oauth.AuthRequest, error) {
	if id == "" {
		return nil, pageError(http.StatusBadRequest, "This page needs a sign-in request. Start again from your application.")
	}
	req, err := s.provider.LoadAuthRequest(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !hasPending(sess, id) {
		return nil, pageError(http.StatusForbidden, "This sign-in request was started in another browser. Start again from your application.")
	}
	return req, nil
}

// showConsent handles GET /consent: sign in first, skip the page when a
// remembered consent covers the scopes, otherwise ask.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := s.session(r)
	req, err := s.flowRequest(r, sess, r.URL.Query().Get("request_id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	user := s.sessionUser(r, sess)
	// OIDC prompt=login: this request needs a sign-in newer than itself.
	if user != nil && req.Prompt == "login" && authTime(sess) < req.CreatedAt.Unix() {
		user = nil
	}
	if user == nil {
		if req.Prompt == "none" {
			s.finishWithError(w, r, sess, req, &oauth.Error{Code: oauth.CodeLoginRequired, Description: "The user is not signed in.", Status: http.StatusBadRequest})
			return
		}
		http.Redirect(w, r, "/login?"+url.Values{"next": {consentURL(req.ID)}}.Encode(), http.StatusFound)
		return
	}
	if err := s.checkRoutePolicy(r, req, user); err != nil {
		s.renderError(w, r, err)
		return
	}
	covered, prev, err := s.provider.ConsentCovers(ctx, req, user.ID)
	if err != nil {
		s.renderError(w, r, oauth.ServerError(err))
		return
	}
	if covered && req.Prompt != "consent" {
		s.approve(w, r, sess, req, user, http.StatusFound)
		return
	}
	if req.Prompt == "none" {
		s.finishWithError(w, r, sess, req, &oauth.Error{Code: oauth.CodeConsentRequired, Description: "The user has not approved this application.", Status: http.StatusBadRequest})
		return
	}
	props, err := s.consentProps(r, sess, req, user, prev)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	setCSP(w, nonceFrom(r), formTarget(req.RedirectURI))
	s.render(w, r, http.StatusOK, views.Consent(props))
}

// consentProps builds the consent page: client name, redirect host with a
// loopback warning (AS-13), route and scopes with new ones marked.
func (s *Server) consentProps(r *http.Request, sess *sessions.Session, req *oauth.AuthRequest, user *oauth.User, prev []string) (views.ConsentProps, error) {
	client, err := s.provider.GetClient(oauth.WithRequestIP(r.Context(), oauth.ClientIP(r)), req.ClientID)
	var de *oauth.ClientDocumentError
	if errors.As(err, &de) {
		return views.ConsentProps{}, pageError(http.StatusBadRequest, de.Error())
	}
	if err != nil {
		return views.ConsentProps{}, oauth.ServerError(err)
	}
	route, err := s.store.GetRoute(r.Context(), req.Route)
	if err != nil {
		return views.ConsentProps{}, pageError(http.StatusBadRequest, "The MCP server this request is for no longer exists.")
	}
	ru, _ := url.Parse(req.RedirectURI)
	name := client.Name
	if name == "" {
		name = "An unnamed application"
	}
	p := views.ConsentProps{
		Page: s.pageShell("Allow access?"), Action: "/consent", CSRFToken: csrfToken(sess),
		RequestID: req.ID, ClientName: name, ClientID: client.ID, ClientURI: client.ClientURI,
		RedirectHost: ru.Host, RedirectURI: req.RedirectURI,
		LoopbackOnly: oauth.LoopbackOnly([]string{req.RedirectURI}),
		RouteName:    route.Name, RouteTitle: route.Title, ResourceURL: req.Resource,
		Username: user.Username,
	}
	if ru.Host == "" {
		p.RedirectHost = ru.Scheme + ":"
	}
	// AS-13: a metadata-document client is identified by its document's host.
	if client.Source == oauth.SourceCIMD {
		if cu, err := url.Parse(client.ID); err == nil {
			p.MetadataHost = cu.Host
		}
	}
	p.Page.Username, p.Page.CSRFToken = user.Username, p.CSRFToken
	for _, sc := range req.Scopes {
		p.Scopes = append(p.Scopes, views.ScopeItem{Name: sc, New: len(prev) > 0 && !slices.Contains(prev, sc)})
	}
	return p, nil
}

// decideConsent handles POST /consent (CSRF-checked): approve issues a code,
// deny returns access_denied; both end with 303 (LX-11).
func (s *Server) decideConsent(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if !s.parseCSRFForm(w, r, sess) {
		return
	}
	req, err := s.flowRequest(r, sess, r.PostFormValue("request_id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	user := s.sessionUser(r, sess)
	if user == nil {
		seeOther(w, r, "/login?"+url.Values{"next": {consentURL(req.ID)}}.Encode())
		return
	}
	switch r.PostFormValue("decision") {
	case "approve":
		s.audit(r, user.Username, "consent.grant", req.ClientID, "route "+req.Route+" scopes "+strings.Join(req.Scopes, " "))
		s.approve(w, r, sess, req, user, http.StatusSeeOther)
	case "deny":
		to, err := s.provider.Deny(r.Context(), req)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		dropPending(sess, req.ID)
		_ = saveSession(w, r, sess)
		seeOther(w, r, to)
	default:
		s.renderError(w, r, pageError(http.StatusBadRequest, "Choose Allow or Deny."))
	}
}

// checkRoutePolicy refuses, with a readable page, a user whom the route's
// policy does not let use it: no consent, no code, no token that the
// gateway would refuse anyway.
func (s *Server) checkRoutePolicy(r *http.Request, req *oauth.AuthRequest, user *oauth.User) error {
	route, err := s.store.GetRoute(r.Context(), req.Route)
	if errors.Is(err, oauth.ErrNotFound) {
		return pageError(http.StatusBadRequest, "The MCP server this request is for no longer exists.")
	}
	if err != nil {
		return oauth.ServerError(err)
	}
	if !route.Allows(user) {
		s.log.InfoContext(r.Context(), "authorization: route policy denies the user", "route", route.Name, "user_id", user.ID, "client_id", req.ClientID)
		return pageError(http.StatusForbidden, "Your account may not use this MCP server. Ask an administrator for access.")
	}
	return nil
}

// approve issues the code and sends the browser back to the client, after
// checking the route's policy once more (the consent POST comes later).
func (s *Server) approve(w http.ResponseWriter, r *http.Request, sess *sessions.Session, req *oauth.AuthRequest, user *oauth.User, status int) {
	if err := s.checkRoutePolicy(r, req, user); err != nil {
		s.renderError(w, r, err)
		return
	}
	to, err := s.provider.Approve(r.Context(), req, user.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	dropPending(sess, req.ID)
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, to, status)
}

// finishWithError ends the flow with a redirected error (prompt=none).
func (s *Server) finishWithError(w http.ResponseWriter, r *http.Request, sess *sessions.Session, req *oauth.AuthRequest, e *oauth.Error) {
	if _, err := s.provider.Deny(r.Context(), req); err != nil && !errors.Is(err, oauth.ErrNotFound) {
		s.renderError(w, r, err)
		return
	}
	dropPending(sess, req.ID)
	_ = saveSession(w, r, sess)
	// prompt=none ends without any user interaction: the same rule as
	// authorize's errors (RFC 9700 §4.11.2), or the request is a bounce.
	c, err := s.store.GetClient(r.Context(), req.ClientID)
	if err != nil || !trustedForErrorRedirect(c, req.RedirectURI) {
		s.renderError(w, r, e)
		return
	}
	http.Redirect(w, r, s.provider.ErrorRedirectURL(req, e), http.StatusFound)
}

// parseCSRFForm parses a bounded form and checks its CSRF token; on failure
// it has already answered 403 with a readable page.
func (s *Server) parseCSRFForm(w http.ResponseWriter, r *http.Request, sess *sessions.Session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, pageError(http.StatusBadRequest, "The form could not be read."))
		return false
	}
	if !checkCSRF(sess, r) {
		s.renderError(w, r, pageError(http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again."))
		return false
	}
	return true
}
