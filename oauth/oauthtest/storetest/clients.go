package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testClientRoundTrip(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		client *oauth.Client
	}{
		{"confidential", newClient("c-conf", base())},
		{"public, empty lists", func() *oauth.Client {
			c := newClient("c-pub", base())
			c.SecretHash, c.TokenEndpointAuthMethod = "", oauth.AuthNone
			c.GrantTypes, c.Contacts, c.Scope = nil, []string{}, ""
			c.Source = oauth.SourceCIMD
			return c
		}()},
		{"disabled, used", func() *oauth.Client {
			c := newClient("https://app.example/client.json", base())
			c.Disabled, c.LastUsedAt, c.Source = true, ptr(base().Add(time.Hour)), oauth.SourceStatic
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(t, "CreateClient", s.CreateClient(ctx, tt.client))
			got, err := s.GetClient(ctx, tt.client.ID)
			must(t, "GetClient", err)
			wantEqual(t, "client", got, tt.client)
		})
	}
}

func testClientErrors(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", base())))

	dup := newClient("c1", base().Add(time.Hour))
	dup.Name = "other"
	wantErr(t, "CreateClient duplicate ID", s.CreateClient(ctx, dup), oauth.ErrConflict)
	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	if got.Name != "Client c1" {
		t.Errorf("after a conflicting create: got name %q, want %q", got.Name, "Client c1")
	}

	_, err = s.GetClient(ctx, "missing")
	wantErr(t, "GetClient unknown", err, oauth.ErrNotFound)
	wantErr(t, "UpdateClient unknown", s.UpdateClient(ctx, newClient("missing", base())), oauth.ErrNotFound)
	wantErr(t, "DeleteClient unknown", s.DeleteClient(ctx, "missing"), oauth.ErrNotFound)
	wantErr(t, "TouchClient unknown", s.TouchClient(ctx, "missing", base()), oauth.ErrNotFound)
}

func testClientUpdate(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	c := newClient("c1", base())
	must(t, "CreateClient", s.CreateClient(ctx, c))

	c.SecretHash = "rotated"
	c.Name = "Renamed"
	c.RedirectURIs = []string{"https://new.example/cb"}
	c.GrantTypes = []string{"authorization_code"}
	c.ResponseTypes = nil
	c.TokenEndpointAuthMethod = oauth.AuthClientSecretPost
	c.Scope = "read"
	c.ClientURI, c.LogoURI = "https://new.example/", ""
	c.Contacts = []string{"a@new.example", "b@new.example"}
	c.SoftwareID, c.SoftwareVersion = "", "3.0"
	c.Source = oauth.SourceStatic
	c.Disabled = true // UpdateClient never writes it
	must(t, "UpdateClient", s.UpdateClient(ctx, c))

	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	c.Disabled = false
	wantEqual(t, "updated client", got, c)
	must(t, "SetClientDisabled", s.SetClientDisabled(ctx, "c1", true))
	if got, _ := s.GetClient(ctx, "c1"); !got.Disabled {
		t.Fatal("SetClientDisabled did not disable")
	}
	wantErr(t, "SetClientDisabled unknown", s.SetClientDisabled(ctx, "nope", true), oauth.ErrNotFound)

	// Updating with unchanged values still finds the row.
	must(t, "UpdateClient unchanged", s.UpdateClient(ctx, c))
}

func testClientDeleteAndTouch(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", base())))
	must(t, "CreateClient", s.CreateClient(ctx, newClient("c2", base())))

	at := base().Add(2 * time.Hour)
	must(t, "TouchClient", s.TouchClient(ctx, "c1", at))
	got, err := s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	wantEqual(t, "LastUsedAt", got.LastUsedAt, &at)

	// Ignored scopes are written alone and survive a metadata update.
	must(t, "SetClientIgnoredScopes", s.SetClientIgnoredScopes(ctx, "c1", []string{"phone", "openid"}))
	must(t, "UpdateClient", s.UpdateClient(ctx, got))
	got, err = s.GetClient(ctx, "c1")
	must(t, "GetClient", err)
	wantEqual(t, "IgnoredScopes", got.IgnoredScopes, []string{"phone", "openid"})
	wantEqual(t, "LastUsedAt after SetClientIgnoredScopes", got.LastUsedAt, &at)
	wantErr(t, "SetClientIgnoredScopes unknown", s.SetClientIgnoredScopes(ctx, "nope", []string{"x"}), oauth.ErrNotFound)

	must(t, "DeleteClient", s.DeleteClient(ctx, "c1"))
	_, err = s.GetClient(ctx, "c1")
	wantErr(t, "GetClient deleted", err, oauth.ErrNotFound)
	wantErr(t, "DeleteClient twice", s.DeleteClient(ctx, "c1"), oauth.ErrNotFound)
	if _, err := s.GetClient(ctx, "c2"); err != nil {
		t.Errorf("GetClient of the other client: %v", err)
	}
}

func testClientList(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	got, err := s.ListClients(ctx)
	must(t, "ListClients empty", err)
	if len(got) != 0 {
		t.Fatalf("ListClients on an empty store: got %d clients, want 0", len(got))
	}
	// Created out of order: the list is by CreatedAt, then ID.
	want := []*oauth.Client{
		newClient("b", base()),
		newClient("c", base()),
		newClient("a", base().Add(time.Second)),
		newClient("0", base().Add(time.Hour)),
	}
	for _, i := range []int{3, 1, 2, 0} {
		must(t, "CreateClient", s.CreateClient(ctx, want[i]))
	}
	got, err = s.ListClients(ctx)
	must(t, "ListClients", err)
	wantEqual(t, "clients", got, want)
}
