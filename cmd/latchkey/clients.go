package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

const maxClientIDLen = 2000 // URL client IDs (metadata documents) are long

func (p *program) clientsCommand() *cli.Command {
	return &cli.Command{
		Name:  "clients",
		Usage: "manage OAuth clients",
		Subcommands: []*cli.Command{
			{
				Name: "add", Usage: "pre-register a client (prints its secret once)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Usage: "client name shown on the consent page"},
					&cli.StringSliceFlag{Name: "redirect-uri", Usage: "a redirect URI (repeatable)"},
					&cli.BoolFlag{Name: "public", Usage: "a public client without a secret (auth method none)"},
					&cli.StringFlag{Name: "auth-method", Usage: "client_secret_basic (default), client_secret_post, none or private_key_jwt"},
					&cli.StringFlag{Name: "jwks-uri", Usage: "https URL of the client's JWK Set (private_key_jwt)"},
					&cli.StringFlag{Name: "jwks-file", Usage: "file holding the client's public JWK Set (private_key_jwt)"},
					&cli.BoolFlag{Name: "resource-server", Usage: "the client may introspect every token (a resource server), not only its own"},
					&cli.StringSliceFlag{Name: "scope", Usage: "a scope the client may request (repeatable, or space-separated)"},
					jsonFlag(),
				},
				Action: p.addClient,
			},
			{Name: "list", Usage: "list clients", Flags: []cli.Flag{jsonFlag()}, Action: p.listClients},
			{Name: "show", Usage: "show a client's metadata", ArgsUsage: "CLIENT_ID", Flags: []cli.Flag{jsonFlag()}, Action: p.showClient},
			{Name: "remove", Usage: "remove a client", ArgsUsage: "CLIENT_ID", Flags: []cli.Flag{jsonFlag()}, Action: p.removeClient},
		},
	}
}

// clientView is a client as admin output shows it: every piece of
// metadata, never the secret or its hash.
type clientView struct {
	ClientID                string     `json:"client_id"`
	ClientName              string     `json:"client_name"`
	Source                  string     `json:"source"`
	TokenEndpointAuthMethod string     `json:"token_endpoint_auth_method"`
	RedirectURIs            []string   `json:"redirect_uris"`
	GrantTypes              []string   `json:"grant_types"`
	ResponseTypes           []string   `json:"response_types"`
	Scope                   string     `json:"scope,omitempty"`
	ClientURI               string     `json:"client_uri,omitempty"`
	LogoURI                 string     `json:"logo_uri,omitempty"`
	Contacts                []string   `json:"contacts,omitempty"`
	SoftwareID              string     `json:"software_id,omitempty"`
	SoftwareVersion         string     `json:"software_version,omitempty"`
	ResourceServer          bool       `json:"resource_server,omitempty"`
	Disabled                bool       `json:"disabled"`
	CreatedAt               time.Time  `json:"created_at"`
	LastUsedAt              *time.Time `json:"last_used_at,omitempty"`
}

func newClientView(c *oauth.Client) clientView {
	return clientView{
		ClientID: c.ID, ClientName: c.Name, Source: c.Source, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes, ResponseTypes: c.ResponseTypes, Scope: c.Scope,
		ClientURI: c.ClientURI, LogoURI: c.LogoURI, Contacts: c.Contacts,
		SoftwareID: c.SoftwareID, SoftwareVersion: c.SoftwareVersion,
		Disabled: c.Disabled, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt, ResourceServer: c.ResourceServer,
	}
}

func (p *program) addClient(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	md, err := clientMetadataFromFlags(c)
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		// NewClient validates the metadata and mints the ID and secret; it
		// never signs, so the provider gets an empty key set and this
		// command does not need the master secret.
		provider, err := oauth.New(oauth.Config{Issuer: p.issuer()}, env.store, &oauth.KeySet{})
		if err != nil {
			return err
		}
		client, secret, err := provider.NewClient(md, oauth.SourceStatic)
		if oe := (*oauth.Error)(nil); errors.As(err, &oe) {
			return &usageError{msg: "clients add: " + oe.Description, err: err}
		}
		if err != nil {
			return fmt.Errorf("new client: %w", err)
		}
		client.ResourceServer = c.Bool("resource-server")
		if client.ResourceServer && client.Public() {
			return usageErrorf("clients add: a resource server must authenticate; drop --public")
		}
		if err := env.store.CreateClient(ctx, client); err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		env.audit(ctx, "client.create", client.ID, client.Name)
		out := p.printer(c)
		if out.json {
			return out.JSON(oauth.RegistrationResponseFor(client, secret))
		}
		out.linef("created client %s", textCell(client.Name))
		out.linef("client_id: %s", client.ID)
		if secret != "" {
			out.linef("client_secret: %s", secret)
			out.linef("(the secret is shown only this once)")
		}
		return nil
	})
}

// clientMetadataFromFlags builds the registration metadata of clients add.
func clientMetadataFromFlags(c *cli.Context) (*oauth.ClientMetadata, error) {
	md := &oauth.ClientMetadata{
		ClientName:              strings.TrimSpace(c.String("name")),
		RedirectURIs:            c.StringSlice("redirect-uri"),
		TokenEndpointAuthMethod: c.String("auth-method"),
		JWKSURI:                 c.String("jwks-uri"),
	}
	if f := c.String("jwks-file"); f != "" {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, usageErrorf("clients add: --jwks-file: %v", err)
		}
		var set any
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, usageErrorf("clients add: --jwks-file %s is not JSON", f)
		}
		md.JWKS = set
	}
	if (md.JWKSURI != "" || md.JWKS != nil) && md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = oauth.AuthPrivateKeyJWT
	}
	switch {
	case md.ClientName == "":
		return nil, usageErrorf("clients add: --name is required")
	case len(md.RedirectURIs) == 0:
		return nil, usageErrorf("clients add: at least one --redirect-uri is required")
	}
	if c.Bool("public") {
		if md.TokenEndpointAuthMethod != "" && md.TokenEndpointAuthMethod != oauth.AuthNone {
			return nil, usageErrorf("clients add: --public means --auth-method %s, not %s", oauth.AuthNone, md.TokenEndpointAuthMethod)
		}
		md.TokenEndpointAuthMethod = oauth.AuthNone
	}
	scopes, err := parseScopes(c.StringSlice("scope"))
	if err != nil {
		return nil, err
	}
	md.Scope = strings.Join(scopes, " ")
	return md, nil
}

func (p *program) listClients(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		clients, err := env.store.ListClients(ctx)
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		out := p.printer(c)
		if out.json {
			views := make([]clientView, 0, len(clients))
			for _, cl := range clients {
				views = append(views, newClientView(cl))
			}
			return out.JSON(views)
		}
		rows := make([][]string, 0, len(clients))
		for _, cl := range clients {
			rows = append(rows, []string{cl.ID, cl.Name, cl.Source, cl.TokenEndpointAuthMethod, textTime(cl.CreatedAt)})
		}
		return out.table([]string{"CLIENT ID", "NAME", "SOURCE", "AUTH METHOD", "CREATED"}, rows)
	})
}

func (p *program) showClient(c *cli.Context) error {
	args, err := positional(c, "client_id")
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		cl, err := getClient(ctx, env.store, args[0])
		if err != nil {
			return err
		}
		out := p.printer(c)
		v := newClientView(cl)
		if out.json {
			return out.JSON(v)
		}
		return out.fields([][2]string{
			{"client_id", v.ClientID},
			{"client_name", v.ClientName},
			{"source", v.Source},
			{"token_endpoint_auth_method", v.TokenEndpointAuthMethod},
			{"redirect_uris", strings.Join(v.RedirectURIs, " ")},
			{"grant_types", strings.Join(v.GrantTypes, " ")},
			{"response_types", strings.Join(v.ResponseTypes, " ")},
			{"scope", v.Scope},
			{"client_uri", v.ClientURI},
			{"logo_uri", v.LogoURI},
			{"contacts", strings.Join(v.Contacts, " ")},
			{"software_id", v.SoftwareID},
			{"software_version", v.SoftwareVersion},
			{"disabled", yesNo(v.Disabled)},
			{"created", textTime(v.CreatedAt)},
			{"last used", textTimePtr(v.LastUsedAt)},
		})
	})
}

func (p *program) removeClient(c *cli.Context) error {
	args, err := positional(c, "client_id")
	if err != nil {
		return err
	}
	if err := checkClientID(args[0]); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		// Off-boarding: the client's grants are revoked with it.
		err := oauth.DeleteClient(ctx, env.store, args[0], time.Now())
		switch {
		case errors.Is(err, oauth.ErrNotFound):
			return explain(err, "client %q not found", args[0])
		case errors.Is(err, oauth.ErrConflict):
			return explain(err, "client %q is still in use (grants or consents refer to it)", args[0])
		case err != nil:
			return fmt.Errorf("remove client: %w", err)
		}
		env.audit(ctx, "client.delete", args[0], "")
		return p.printer(c).removed("client", args[0])
	})
}

// getClient looks a client up by ID, with a readable error when there is none.
func getClient(ctx context.Context, st oauth.ClientStore, id string) (*oauth.Client, error) {
	if err := checkClientID(id); err != nil {
		return nil, err
	}
	cl, err := st.GetClient(ctx, id)
	if errors.Is(err, oauth.ErrNotFound) {
		return nil, explain(err, "client %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get client: %w", err)
	}
	return cl, nil
}

func checkClientID(id string) error {
	if id == "" || !oauth.CleanText(id, maxClientIDLen) {
		return usageErrorf("invalid client ID %q", id)
	}
	return nil
}
