package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/oauth"
)

const maxFormBody = 64 << 10

// authorize handles GET and POST /authorize (OAuth 2.1 §4.1.1). A request
// whose client or redirect URI is bad gets a page, never a redirect; other
// errors go back to the client with error, state and iss. A good request is
// stored, bound to this browser, and continued at /consent.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		// A cross-site POST arrives without the SameSite=Lax session cookie;
		// answering it here would overwrite the user's session. Continue as a
		// top-level GET, which carries the cookie.
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, oauth.InvalidRequest("The request body is not a valid form."))
			return
		}
		seeOther(w, r, "/authorize?"+r.PostForm.Encode())
		return
	}
	params := r.URL.Query()
	res, err := s.provider.ParseAuthorize(oauth.WithRequestIP(r.Context(), oauth.ClientIP(r)), params)
	if err != nil {
		e := oauth.AsError(err)
		if e.NoRedirect || res == nil || !trustedForErrorRedirect(res.Client, res.Request.RedirectURI) {
			s.renderError(w, r, e)
			return
		}
		s.log.InfoContext(r.Context(), "authorization request refused", "error", e)
		http.Redirect(w, r, s.provider.ErrorRedirectURL(res.Request, e), redirectStatus(r))
		return
	}
	if len(res.IgnoredScopes) > 0 {
		// Granted less than asked (RFC 6749 §3.3): operators learn which
		// clients ask for scopes nothing here offers.
		s.log.InfoContext(r.Context(), "authorization: scopes not offered were dropped", "client_id", res.Client.ID,
			"route", res.Route.Name, "dropped", strings.Join(res.IgnoredScopes, " "), "granted", strings.Join(res.Request.Scopes, " "))
	}
	sess := s.session(r)
	addPending(sess, res.Request.ID)
	if err := saveSession(w, r, sess); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, consentURL(res.Request.ID), redirectStatus(r))
}

// trustedForErrorRedirect reports whether an authorization error may go
// back to the redirect URI without any user interaction. RFC 9700 §4.11.2:
// redirect automatically only to URIs the server trusts. A dynamically
// registered client that never completed a flow is anybody's: its https
// redirect URI would make Latchkey an open redirector, so the error is
// shown as a page instead. Loopback URIs lead to the user's own machine,
// and operators' clients, metadata-document clients (behind the trust
// policy) and clients a user has already authorized keep their redirects.
func trustedForErrorRedirect(c *oauth.Client, redirectURI string) bool {
	return c.Source != oauth.SourceDCR || c.LastUsedAt != nil || oauth.LoopbackOnly([]string{redirectURI})
}

// redirectStatus is 303 after a POST (RFC 9700 §4.12) and 302 after a GET.
func redirectStatus(r *http.Request) int {
	if r.Method == http.MethodPost {
		return http.StatusSeeOther
	}
	return http.StatusFound
}

func consentURL(requestID string) string {
	return "/consent?" + url.Values{"request_id": {requestID}}.Encode()
}

// formTarget is the CSP form-action source that lets a form's redirect
// chain end at the client's redirect URI.
func formTarget(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return ""
	}
	src := u.Scheme + ":"
	if u.Scheme == "http" || u.Scheme == "https" {
		src = u.Scheme + "://" + u.Host
	}
	// Only URL characters that cannot end a CSP source expression.
	for _, c := range src {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_+:/[]", c)
		if !ok {
			return ""
		}
	}
	return src
}
