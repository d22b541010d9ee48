package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// grantRows lists grants (of a user and/or client) for a table, with user
// and client names; all includes revoked and expired ones.
func (s *Server) grantRows(r *http.Request, userID, clientID string, all bool) ([]views.GrantRow, error) {
	ctx := r.Context()
	grants, err := s.store.ListGrants(ctx, userID, clientID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	users, clients := map[string]string{}, map[string]string{}
	var rows []views.GrantRow
	for _, g := range grants {
		status := g.Status(now)
		if status != oauth.GrantActive && !all {
			continue
		}
		if _, ok := users[g.UserID]; !ok {
			users[g.UserID] = g.UserID
			if u, err := s.store.GetUser(ctx, g.UserID); err == nil {
				users[g.UserID] = u.Username
			}
		}
		if _, ok := clients[g.ClientID]; !ok {
			clients[g.ClientID] = g.ClientID
			if c, err := s.store.GetClient(ctx, g.ClientID); err == nil && c.Name != "" {
				clients[g.ClientID] = c.Name
			}
		}
		rows = append(rows, views.GrantRow{ID: g.ID, User: users[g.UserID], ClientID: g.ClientID, ClientName: clients[g.ClientID],
			ClientURL: clientURL(g.ClientID), Route: g.Route, Scopes: strings.Join(g.Scopes, " "), Status: status,
			Created: when(g.CreatedAt), LastUsed: when(g.LastUsedAt)})
	}
	return rows, nil
}

// tokensProps reads the search of /admin/tokens; a bad username is a
// readable message, not an error page.
func (s *Server) tokensProps(w http.ResponseWriter, r *http.Request, q url.Values) (views.TokensProps, error) {
	p := views.TokensProps{User: strings.TrimSpace(q.Get("user")), Client: strings.TrimSpace(q.Get("client")), All: q.Get("all") != ""}
	p.Console = s.frame(w, r, "Tokens & grants", "tokens", views.Crumb{Label: "Tokens & grants"})
	userID := ""
	if p.User != "" {
		u, err := s.store.GetUserByUsername(r.Context(), p.User)
		if errors.Is(err, oauth.ErrNotFound) {
			p.Console.Flash = &views.Flash{Kind: "error", Text: "There is no user " + p.User + "."}
			return p, nil
		}
		if err != nil {
			return p, err
		}
		userID = u.ID
	}
	rows, err := s.grantRows(r, userID, p.Client, p.All)
	if err != nil {
		return p, err
	}
	from, to, pager := pageOf(r, len(rows))
	p.Grants, p.Pager = rows[from:to], pager
	return p, nil
}

// listTokens handles GET /admin/tokens.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	p, err := s.tokensProps(w, r, r.URL.Query())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.Tokens(p))
}

// revokeGrant handles POST /admin/tokens/revoke.
func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	id := r.PostFormValue("grant_id")
	g, err := s.store.GetGrant(r.Context(), id)
	if err == nil {
		err = s.store.RevokeGrant(r.Context(), id, s.clock())
	}
	if s.failed(w, r, err, "grant") {
		return
	}
	s.audit(r, user.Username, "token.revoke", "grant "+id, "client "+g.ClientID+" route "+g.Route)
	back := "/admin/tokens"
	if ref := safeNext(r.PostFormValue("back")); strings.HasPrefix(ref, "/admin/") {
		back = ref
	}
	s.flashTo(w, r, back, "ok", "Grant revoked. The app lost access on every replica within a second.")
}

// revokeAll handles POST /admin/tokens/revoke-all (a user's or a client's grants).
func (s *Server) revokeAll(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	username, clientID := strings.TrimSpace(r.PostFormValue("user")), strings.TrimSpace(r.PostFormValue("client"))
	userID := ""
	if username != "" {
		u, err := s.store.GetUserByUsername(r.Context(), username)
		if err != nil {
			s.flashTo(w, r, "/admin/tokens", "error", "There is no user "+username+".")
			return
		}
		userID = u.ID
	}
	if userID == "" && clientID == "" {
		s.flashTo(w, r, "/admin/tokens", "error", "Choose a user or a client first.")
		return
	}
	n, err := oauth.RevokeGrantsOf(r.Context(), s.store, userID, clientID, s.clock())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "token.revoke_all", strings.TrimSpace("user "+username+" client "+clientID), fmt.Sprintf("%d grants", n))
	s.flashTo(w, r, "/admin/tokens?"+url.Values{"user": {username}, "client": {clientID}}.Encode(), "ok", fmt.Sprintf("Revoked %d grants.", n))
}

// introspectToken handles POST /admin/tokens/introspect: the answer is
// shown on the page (nothing changes, so no redirect).
func (s *Server) introspectToken(w http.ResponseWriter, r *http.Request) {
	p, err := s.tokensProps(w, r, url.Values{})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	res, err := s.provider.Introspect(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if !res.Active {
		p.Inactive = true
	} else {
		p.Introspection = [][2]string{{"Type", res.TokenType}, {"User", res.Username}, {"Client", res.ClientID}, {"Audience", res.Aud},
			{"Scope", res.Scope}, {"Issued", when(time.Unix(res.Iat, 0))}, {"Expires", when(time.Unix(res.Exp, 0))}, {"Token ID", res.Jti}}
	}
	s.render(w, r, http.StatusOK, views.Tokens(p))
}
