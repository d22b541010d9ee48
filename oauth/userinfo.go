package oauth

import (
	"net/http"
	"strings"
)

// UserInfo is the OIDC userinfo response: who the token's user is.
type UserInfo struct {
	Sub               string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
}

// ServeUserInfo handles GET and POST /userinfo (OIDC Core §5.3, LX-10) for
// any live access token this server issued, whatever its route: the
// client already saw the user at consent. Failures are RFC 6750 401s.
func (p *Provider) ServeUserInfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	refuse := func(code string) {
		h := `Bearer realm="latchkey"`
		if code != "" {
			h += `, error="` + code + `"`
		}
		w.Header().Set("WWW-Authenticate", h)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: map[bool]string{true: "invalid_token", false: "invalid_request"}[code != ""],
			ErrorDescription: "Send a valid access token in the Authorization header."})
	}
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		refuse("")
		return
	}
	info, err := p.introspectAccess(ctx, strings.TrimSpace(tok))
	if err != nil {
		p.writeError(ctx, w, ServerError(err))
		return
	}
	if !info.Active {
		refuse("invalid_token")
		return
	}
	writeJSON(w, http.StatusOK, UserInfo{Sub: info.Sub, PreferredUsername: info.Username})
}
