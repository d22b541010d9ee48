package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// account handles GET /account: the apps the user authorized — clients
// with live grants or remembered consent — with their routes and scopes.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	ctx := r.Context()
	grants, err := s.store.ListGrants(ctx, user.ID, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	consents, err := s.store.ListConsents(ctx, user.ID)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	now := s.clock()
	type app struct {
		routes   map[string]string
		lastUsed time.Time
	}
	apps := map[string]*app{}
	get := func(id string) *app {
		if apps[id] == nil {
			apps[id] = &app{routes: map[string]string{}}
		}
		return apps[id]
	}
	for _, c := range consents {
		get(c.ClientID).routes[c.Route] = strings.Join(c.Scopes, " ")
	}
	for _, g := range grants {
		if g.Status(now) != oauth.GrantActive {
			continue
		}
		a := get(g.ClientID)
		a.routes[g.Route] = strings.Join(g.Scopes, " ")
		if g.LastUsedAt.After(a.lastUsed) {
			a.lastUsed = g.LastUsedAt
		}
	}
	var rows []views.AppRow
	for id, a := range apps {
		row := views.AppRow{ClientID: id, ClientName: id, LastUsed: when(a.lastUsed)}
		if c, err := s.store.GetClient(ctx, id); err == nil && c.Name != "" {
			row.ClientName = c.Name
			if c.Source == oauth.SourceCIMD {
				if u, err := url.Parse(c.ID); err == nil {
					row.Host = u.Host
				}
			}
		}
		for route, scopes := range a.routes {
			if scopes == "" {
				scopes = "basic access"
			}
			row.Routes = append(row.Routes, views.AppRoute{Route: route, Scopes: scopes})
		}
		sort.Slice(row.Routes, func(i, j int) bool { return row.Routes[i].Route < row.Routes[j].Route })
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ClientName < rows[j].ClientName })
	s.render(w, r, http.StatusOK, views.Account(views.AccountProps{
		Console: s.frame(w, r, "Authorized apps", "apps", views.Crumb{Label: "Authorized apps"}), Apps: rows}))
}

// revokeApp handles POST /account/apps/revoke: every grant the user gave
// the client is revoked and its remembered consent forgotten.
func (s *Server) revokeApp(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	clientID := r.PostFormValue("client_id")
	if clientID == "" {
		s.flashTo(w, r, "/account", "error", "Choose an app to revoke.")
		return
	}
	err := s.store.InTx(r.Context(), func(ctx context.Context, tx oauth.Store) error {
		if _, err := oauth.RevokeGrantsOf(ctx, tx, user.ID, clientID, s.clock()); err != nil {
			return err
		}
		consents, err := tx.ListConsents(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, c := range consents {
			if c.ClientID == clientID {
				if err := tx.DeleteConsent(ctx, user.ID, c.ClientID, c.Route); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "consent.revoke", clientID, "")
	s.flashTo(w, r, "/account", "ok", "Access revoked. The app must ask you again.")
}

// passwordForm handles GET /account/password.
func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) {
	s.renderPassword(w, r, http.StatusOK, nil)
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, status int, errs views.FieldErrors) {
	s.render(w, r, status, views.Password(views.PasswordProps{
		Console: s.frame(w, r, "Change password", "password", views.Crumb{Label: "Password"}), Errors: errs}))
}

// changePassword handles POST /account/password.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	ctx := r.Context()
	old, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	errs := views.FieldErrors{}
	ok, err := s.hasher.Verify(ctx, old, user.PasswordHash)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if !ok {
		errs["current"] = "This is not your current password."
	}
	if err := oauth.CheckPassword(next); err != nil {
		errs["new"] = upperFirst(err.Error()) + "."
	} else if next != confirm {
		errs["confirm"] = "The two new passwords differ."
	}
	if len(errs) > 0 {
		s.audit(r, user.Username, "user.password_failure", user.Username, "")
		s.renderPassword(w, r, http.StatusUnprocessableEntity, errs)
		return
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	now := s.clock().UTC()
	if err := s.store.SetUserPassword(ctx, user.ID, hash, now); err != nil {
		s.consoleError(w, r, err)
		return
	}
	// Other browsers signed in before now are signed out; this one stays.
	_, sess := current(r)
	sess.Values[sessAuthTime] = now.Unix()
	s.audit(r, user.Username, "user.password", user.Username, "changed by the user")
	s.flashTo(w, r, "/account/password", "ok", "Password changed.")
}
