package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// consolePageSize is the length of console lists; maxConsolePage bounds
// the page number a URL may ask for.
const (
	consolePageSize = 25
	maxConsolePage  = 1_000_000
)

func clientURL(id string) string { return "/admin/client?" + url.Values{"id": {id}}.Encode() }

func clientRow(c *oauth.Client) views.ClientRow {
	name := c.Name
	if name == "" {
		name = "(unnamed)"
	}
	return views.ClientRow{ID: c.ID, Name: name, Source: c.Source, AuthMethod: c.TokenEndpointAuthMethod,
		LastUsed: whenPtr(c.LastUsedAt), Disabled: c.Disabled, URL: clientURL(c.ID)}
}

// pageOf returns the page'th slice of n items and the pager links.
func pageOf(r *http.Request, n int) (from, to int, pager views.Pager) {
	// Anything but a sane page number is the first page (no overflow).
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 0 || page > maxConsolePage {
		page = 0
	}
	from = min(page*consolePageSize, n)
	to = min(from+consolePageSize, n)
	link := func(p int) string {
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		return r.URL.Path + "?" + v.Encode()
	}
	if page > 0 {
		pager.Prev = link(page - 1)
	}
	if to < n {
		pager.Next = link(page + 1)
	}
	return from, to, pager
}

// usedNever is the ?used= value that lists only clients that never got a
// token (the ones the clean-up forgets after --unused-client-retention).
const usedNever = "never"

// listClients handles GET /admin/clients, filtered by ?q= (name or ID),
// ?source= and ?used=never.
func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	clients, err := s.store.ListClients(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	q, source, used := strings.TrimSpace(r.URL.Query().Get("q")), r.URL.Query().Get("source"), r.URL.Query().Get("used")
	if used != usedNever {
		used = ""
	}
	var rows []views.ClientRow
	for _, c := range clients {
		if source != "" && c.Source != source {
			continue
		}
		if used == usedNever && c.LastUsedAt != nil {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(c.Name+" "+c.ID), strings.ToLower(q)) {
			continue
		}
		rows = append(rows, clientRow(c))
	}
	from, to, pager := pageOf(r, len(rows))
	s.render(w, r, http.StatusOK, views.Clients(views.ClientsProps{
		Console: s.frame(w, r, "Clients", "clients", views.Crumb{Label: "Clients"}),
		Query:   q, Source: source, Used: used, Clients: rows[from:to], Pager: pager,
	}))
}

// showClient handles GET /admin/client?id=…
func (s *Server) showClient(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := s.store.GetClient(ctx, r.URL.Query().Get("id"))
	if s.failed(w, r, err, "client") {
		return
	}
	grants, err := s.grantRows(r, "", c.ID, true)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	row := clientRow(c)
	var fields [][2]string
	for _, f := range [][2]string{
		{"Client ID", c.ID}, {"Source", views.SourceLabel(c.Source)}, {"Authentication", c.TokenEndpointAuthMethod},
		{"Grant types", strings.Join(c.GrantTypes, " ")}, {"Scope", c.Scope}, {"Website", c.ClientURI},
		{"Software", strings.TrimSpace(c.SoftwareID + " " + c.SoftwareVersion)}, {"Registered from", c.RegisteredFrom},
		{"JWKS URI", c.JWKSURI}, {"Resource server", map[bool]string{true: "may introspect every token"}[c.ResourceServer]},
		{"Created", when(c.CreatedAt)}, {"Last used", row.LastUsed},
		// Granted less than asked (RFC 6749 §3.3): operators see which
		// clients ask for scopes nothing here offers.
		{"Asked for scopes no route offers", strings.Join(c.IgnoredScopes, " ")},
	} {
		if f[1] != "" {
			fields = append(fields, f)
		}
	}
	s.render(w, r, http.StatusOK, views.ClientDetail(views.ClientDetailProps{
		Console: s.frame(w, r, row.Name, "clients", views.Crumb{Label: "Clients", URL: "/admin/clients"}, views.Crumb{Label: row.Name}),
		Client:  row, Fields: fields, Redirects: c.RedirectURIs, Grants: grants,
	}))
}

// newClientForm handles GET /admin/clients/new.
func (s *Server) newClientForm(w http.ResponseWriter, r *http.Request) {
	s.renderClientForm(w, r, http.StatusOK, views.ClientFormProps{AuthMethod: oauth.AuthClientSecretBasic})
}

func (s *Server) renderClientForm(w http.ResponseWriter, r *http.Request, status int, p views.ClientFormProps) {
	p.Console = s.frame(w, r, "New client", "clients", views.Crumb{Label: "Clients", URL: "/admin/clients"}, views.Crumb{Label: "New"})
	s.render(w, r, status, views.ClientForm(p))
}

// createClient handles POST /admin/clients: validation errors next to the
// fields, else the client with its secret shown once.
func (s *Server) createClient(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	p := views.ClientFormProps{Name: strings.TrimSpace(r.PostFormValue("name")), RedirectURIs: r.PostFormValue("redirect_uris"),
		AuthMethod: r.PostFormValue("auth_method"), Scope: r.PostFormValue("scope"), JWKSURI: strings.TrimSpace(r.PostFormValue("jwks_uri")),
		Resource: r.PostFormValue("resource_server") != "", Errors: views.FieldErrors{}}
	if p.Name == "" {
		p.Errors["name"] = "Give the client a name; users see it on the consent page."
	}
	scopes, err := oauth.ParseScopes([]string{p.Scope})
	if err != nil {
		p.Errors["scope"] = err.Error()
	}
	md := &oauth.ClientMetadata{ClientName: p.Name, RedirectURIs: strings.Fields(p.RedirectURIs), TokenEndpointAuthMethod: p.AuthMethod,
		Scope: strings.Join(scopes, " "), JWKSURI: p.JWKSURI}
	if p.Resource && p.AuthMethod == oauth.AuthNone {
		p.Errors["auth_method"] = "A resource server must authenticate; choose a secret or a signed assertion."
	}
	if len(md.RedirectURIs) == 0 {
		p.Errors["redirect_uris"] = "Add at least one redirect URI."
	}
	var client *oauth.Client
	var secret string
	if len(p.Errors) == 0 {
		client, secret, err = s.provider.NewClient(md, oauth.SourceStatic)
		var oe *oauth.Error
		if errors.As(err, &oe) {
			field := "name"
			switch {
			case oe.Code == oauth.CodeInvalidRedirectURI:
				field = "redirect_uris"
			case strings.Contains(oe.Description, "jwks"):
				field = "jwks_uri"
			case strings.Contains(oe.Description, "token_endpoint_auth_method") || strings.Contains(oe.Description, "private_key_jwt"):
				field = "auth_method"
			}
			p.Errors[field] = oe.Description
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	if len(p.Errors) > 0 {
		s.renderClientForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	client.ResourceServer = p.Resource
	if err := s.store.CreateClient(r.Context(), client); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "client.create", client.ID, client.Name)
	if secret != "" {
		s.flashSecretTo(w, r, clientURL(client.ID), "ok", "Client created.", "Client secret", secret)
		return
	}
	s.flashTo(w, r, clientURL(client.ID), "ok", "Client created.")
}

// setClientDisabled handles POST /admin/client/disable and /enable. A
// disabled client's grants are revoked: it keeps nothing.
func (s *Server) setClientDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, _ := current(r)
		ctx := r.Context()
		id := r.PostFormValue("id")
		err := s.store.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
			if err := tx.SetClientDisabled(ctx, id, disabled); err != nil {
				return err
			}
			var err error
			if disabled {
				_, err = oauth.RevokeGrantsOf(ctx, tx, "", id, s.clock())
			}
			return err
		})
		if s.failed(w, r, err, "client") {
			return
		}
		action, text := "client.enable", "Client enabled."
		if disabled {
			action, text = "client.disable", "Client disabled; its grants are revoked."
		}
		s.audit(r, user.Username, action, id, "")
		s.flashTo(w, r, clientURL(id), "ok", text)
	}
}

// deleteClient handles POST /admin/client/delete.
func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	id := r.PostFormValue("id")
	err := s.provider.DeleteClient(r.Context(), id)
	if s.failed(w, r, err, "client") {
		return
	}
	s.audit(r, user.Username, "client.delete", id, "")
	s.flashTo(w, r, "/admin/clients", "ok", "Client deleted; its grants are revoked.")
}
