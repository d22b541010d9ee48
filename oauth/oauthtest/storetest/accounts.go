package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testUserRoundTrip(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	u := newUser("u1", "alice", base())
	must(t, "CreateUser", s.CreateUser(ctx, u))

	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	wantEqual(t, "user by ID", got, u)
	got, err = s.GetUserByUsername(ctx, "alice")
	must(t, "GetUserByUsername", err)
	wantEqual(t, "user by username", got, u)
}

func testUserErrors(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice", base())))

	tests := []struct {
		name string
		user *oauth.User
	}{
		{"duplicate username", newUser("u2", "alice", base())},
		{"duplicate ID", newUser("u1", "bob", base())},
	}
	for _, tt := range tests {
		wantErr(t, "CreateUser "+tt.name, s.CreateUser(ctx, tt.user), oauth.ErrConflict)
	}
	if _, err := s.GetUserByUsername(ctx, "bob"); err == nil {
		t.Error("GetUserByUsername after a conflicting create: found bob, want not found")
	}

	_, err := s.GetUser(ctx, "missing")
	wantErr(t, "GetUser unknown", err, oauth.ErrNotFound)
	_, err = s.GetUserByUsername(ctx, "missing")
	wantErr(t, "GetUserByUsername unknown", err, oauth.ErrNotFound)
	wantErr(t, "UpdateUser unknown", s.UpdateUser(ctx, newUser("missing", "x", base())), oauth.ErrNotFound)
}

func testUserUpdate(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	u := newUser("u1", "alice", base())
	must(t, "CreateUser", s.CreateUser(ctx, u))

	upd := *u
	upd.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA"
	upd.Admin = false
	upd.Disabled = true
	upd.UpdatedAt = base().Add(time.Hour)
	must(t, "UpdateUser", s.UpdateUser(ctx, &upd))

	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	wantEqual(t, "updated user", got, &upd)
}

func testUserList(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	want := []*oauth.User{
		newUser("u2", "bob", base()),
		newUser("u3", "carol", base()),
		newUser("u1", "alice", base().Add(time.Minute)),
	}
	for _, i := range []int{2, 1, 0} {
		must(t, "CreateUser", s.CreateUser(ctx, want[i]))
	}
	got, err := s.ListUsers(ctx)
	must(t, "ListUsers", err)
	wantEqual(t, "users", got, want)
}

func testRouteCRUD(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	r := newRoute("files", base())
	must(t, "CreateRoute", s.CreateRoute(ctx, r))
	got, err := s.GetRoute(ctx, "files")
	must(t, "GetRoute", err)
	wantEqual(t, "route", got, r)

	noScopes := newRoute("plain", base())
	noScopes.Scopes, noScopes.Title = nil, ""
	must(t, "CreateRoute without scopes", s.CreateRoute(ctx, noScopes))
	got, err = s.GetRoute(ctx, "plain")
	must(t, "GetRoute", err)
	wantEqual(t, "route without scopes", got, noScopes)

	wantErr(t, "CreateRoute duplicate", s.CreateRoute(ctx, newRoute("files", base())), oauth.ErrConflict)
	_, err = s.GetRoute(ctx, "missing")
	wantErr(t, "GetRoute unknown", err, oauth.ErrNotFound)

	must(t, "DeleteRoute", s.DeleteRoute(ctx, "files"))
	_, err = s.GetRoute(ctx, "files")
	wantErr(t, "GetRoute deleted", err, oauth.ErrNotFound)
	wantErr(t, "DeleteRoute twice", s.DeleteRoute(ctx, "files"), oauth.ErrNotFound)
}

func testRouteList(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	want := []*oauth.Route{
		newRoute("b", base()),
		newRoute("c", base()),
		newRoute("a", base().Add(time.Second)),
	}
	for _, i := range []int{2, 1, 0} {
		must(t, "CreateRoute", s.CreateRoute(ctx, want[i]))
	}
	got, err := s.ListRoutes(ctx)
	must(t, "ListRoutes", err)
	wantEqual(t, "routes", got, want)
}

// testUserTargetedUpdates: SetUserPassword and SetUserFlags change only
// what they name — a stale copy never overwrites a concurrent change — and
// each appends a user entry to the revocation log.
func testUserTargetedUpdates(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	u := newUser("u1", "alice", base())
	must(t, "CreateUser", s.CreateUser(ctx, u))
	yes, no := true, false
	at := base().Add(time.Hour)
	must(t, "SetUserFlags disable", s.SetUserFlags(ctx, "u1", oauth.UserFlags{Disabled: &yes}, at))
	must(t, "SetUserPassword", s.SetUserPassword(ctx, "u1", "new-hash", at.Add(time.Minute)))
	must(t, "SetUserFlags admin", s.SetUserFlags(ctx, "u1", oauth.UserFlags{Admin: &yes}, at.Add(2*time.Minute)))
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	if !got.Disabled || !got.Admin || got.PasswordHash != "new-hash" || got.PasswordChangedAt == nil ||
		got.PasswordChangedAt.Sub(at.Add(time.Minute)).Abs() > time.Millisecond {
		t.Fatalf("after targeted updates: %+v", got)
	}
	must(t, "SetUserFlags enable", s.SetUserFlags(ctx, "u1", oauth.UserFlags{Disabled: &no}, at.Add(3*time.Minute)))
	if got, _ := s.GetUser(ctx, "u1"); got.Disabled || !got.Admin {
		t.Fatalf("enable changed more than the flag: %+v", got)
	}
	wantErr(t, "SetUserFlags unknown", s.SetUserFlags(ctx, "nope", oauth.UserFlags{Admin: &yes}, at), oauth.ErrNotFound)
	wantErr(t, "SetUserPassword unknown", s.SetUserPassword(ctx, "nope", "h", at), oauth.ErrNotFound)
	log, err := s.ListRevocations(ctx, 0, at, 10)
	must(t, "ListRevocations", err)
	if len(log) != 4 || log[0].Kind != oauth.RevokedUser || log[0].Ref != "u1" {
		t.Fatalf("revocation log = %+v, want 4 user entries", log)
	}
}
