package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// listUsers handles GET /admin/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, views.UsersProps{})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, p views.UsersProps) {
	me, _ := current(r)
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	for _, u := range users {
		p.Users = append(p.Users, views.UserRow{Username: u.Username, Created: when(u.CreatedAt), Admin: u.Admin, Disabled: u.Disabled, Self: u.ID == me.ID})
	}
	p.Console = s.frame(w, r, "Users", "users", views.Crumb{Label: "Users"})
	s.render(w, r, status, views.Users(p))
}

// createUser handles POST /admin/users; an empty password is generated and
// shown once.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	me, _ := current(r)
	ctx := r.Context()
	p := views.UsersProps{Username: strings.TrimSpace(r.PostFormValue("username")), Admin: r.PostFormValue("admin") != "", Errors: views.FieldErrors{}}
	if err := oauth.CheckUsername(p.Username); err != nil {
		p.Errors["username"] = "Invalid username: " + err.Error() + "."
	}
	password, generated := r.PostFormValue("password"), false
	if password == "" {
		password, generated = oauth.GeneratePassword(), true
	} else if err := oauth.CheckPassword(password); err != nil {
		p.Errors["password"] = upperFirst(err.Error()) + "."
	}
	if len(p.Errors) == 0 {
		hash, err := s.hasher.Hash(ctx, password)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		now := s.clock().UTC()
		err = s.store.CreateUser(ctx, &oauth.User{ID: oauth.NewUserID(), Username: p.Username, PasswordHash: hash, Admin: p.Admin, CreatedAt: now, UpdatedAt: now})
		if errors.Is(err, oauth.ErrConflict) {
			p.Errors["username"] = "This username is taken."
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	if len(p.Errors) > 0 {
		s.renderUsers(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	s.audit(r, me.Username, "user.create", p.Username, map[bool]string{true: "admin", false: ""}[p.Admin])
	if generated {
		s.flashSecretTo(w, r, "/admin/users", "ok", "User "+p.Username+" created.", "Password for "+p.Username, password)
		return
	}
	s.flashTo(w, r, "/admin/users", "ok", "User "+p.Username+" created.")
}

// userAction handles POST /admin/users/{name}/{action}: disable, enable,
// reset (a generated password, shown once) and admin (grant or remove).
func (s *Server) userAction(w http.ResponseWriter, r *http.Request) {
	me, _ := current(r)
	ctx := r.Context()
	name, action := r.PathValue("name"), r.PathValue("action")
	u, err := s.store.GetUserByUsername(ctx, name)
	if s.failed(w, r, err, "user") {
		return
	}
	if u.ID == me.ID && action != "reset" {
		s.flashTo(w, r, "/admin/users", "error", "You cannot disable or demote yourself; ask another administrator.")
		return
	}
	now := s.clock().UTC()
	text, secret, detail := "", "", ""
	switch action {
	case "disable", "enable":
		var n int
		n, err = oauth.SetUserDisabled(ctx, s.store, u.ID, action == "disable", now)
		text, detail = "User "+name+" "+action+"d.", fmt.Sprintf("revoked %d grants", n)
	case "reset":
		secret = oauth.GeneratePassword()
		var hash string
		if hash, err = s.hasher.Hash(ctx, secret); err == nil {
			err = s.store.SetUserPassword(ctx, u.ID, hash, now) // their browser sessions end
		}
		action, text = "password", "New password set for "+name+"; their browser sessions are signed out."
	case "admin":
		admin := r.PostFormValue("admin") == "1"
		err = s.store.SetUserFlags(ctx, u.ID, oauth.UserFlags{Admin: &admin}, now)
		text, detail = "Role of "+name+" changed.", map[bool]string{true: "now admin", false: "no longer admin"}[admin]
	default:
		s.renderError(w, r, pageError(http.StatusNotFound, "There is no such action."))
		return
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, me.Username, "user."+action, name, detail)
	if secret != "" {
		s.flashSecretTo(w, r, "/admin/users", "ok", text, "Password for "+name, secret)
		return
	}
	s.flashTo(w, r, "/admin/users", "ok", text)
}
