package db

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func clientFromDomain(c *oauth.Client) (*clientRow, error) {
	if err := checkNUL(c.ID, c.SecretHash, c.Name, c.TokenEndpointAuthMethod, c.Scope,
		c.ClientURI, c.LogoURI, c.SoftwareID, c.SoftwareVersion, c.Source, c.JWKSURI, c.JWKS,
		c.RegistrationTokenHash, c.RegisteredFrom); err != nil {
		return nil, err
	}
	if err := checkNULLists(c.RedirectURIs, c.GrantTypes, c.ResponseTypes, c.Contacts); err != nil {
		return nil, err
	}
	return &clientRow{
		ID:                      c.ID,
		SecretHash:              c.SecretHash,
		Name:                    c.Name,
		RedirectURIs:            copyList(c.RedirectURIs),
		GrantTypes:              copyList(c.GrantTypes),
		ResponseTypes:           copyList(c.ResponseTypes),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		Scope:                   c.Scope,
		ClientURI:               c.ClientURI,
		LogoURI:                 c.LogoURI,
		Contacts:                copyList(c.Contacts),
		SoftwareID:              c.SoftwareID,
		SoftwareVersion:         c.SoftwareVersion,
		Source:                  c.Source,
		JWKSURI:                 c.JWKSURI,
		JWKS:                    c.JWKS,
		RegistrationTokenHash:   c.RegistrationTokenHash,
		RegisteredFrom:          c.RegisteredFrom,
		ResourceServer:          c.ResourceServer,
		Disabled:                c.Disabled,
		CreatedAt:               toDB(c.CreatedAt),
		LastUsedAt:              toDBPtr(c.LastUsedAt),
		IgnoredScopes:           copyList(c.IgnoredScopes),
	}, nil
}

func (r *clientRow) toDomain() *oauth.Client {
	return &oauth.Client{
		ID:                      r.ID,
		SecretHash:              r.SecretHash,
		Name:                    r.Name,
		RedirectURIs:            r.RedirectURIs,
		GrantTypes:              r.GrantTypes,
		ResponseTypes:           r.ResponseTypes,
		TokenEndpointAuthMethod: r.TokenEndpointAuthMethod,
		Scope:                   r.Scope,
		ClientURI:               r.ClientURI,
		LogoURI:                 r.LogoURI,
		Contacts:                r.Contacts,
		SoftwareID:              r.SoftwareID,
		SoftwareVersion:         r.SoftwareVersion,
		Source:                  r.Source,
		JWKSURI:                 r.JWKSURI,
		JWKS:                    r.JWKS,
		RegistrationTokenHash:   r.RegistrationTokenHash,
		RegisteredFrom:          r.RegisteredFrom,
		ResourceServer:          r.ResourceServer,
		Disabled:                r.Disabled,
		CreatedAt:               fromDB(r.CreatedAt),
		LastUsedAt:              fromDBPtr(r.LastUsedAt),
		IgnoredScopes:           r.IgnoredScopes,
	}
}

// CreateClient inserts c; an existing ID gives oauth.ErrConflict.
func (s *Store) CreateClient(ctx context.Context, c *oauth.Client) error {
	row, err := clientFromDomain(c)
	if err == nil {
		_, err = s.db.NewInsert().Model(row).Exec(ctx)
	}
	return wrapErr(err, "create client %q", c.ID)
}

// GetClient returns the client with the given ID or oauth.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (*oauth.Client, error) {
	row := new(clientRow)
	err := validKey(id)
	if err == nil {
		err = s.db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	}
	if err != nil {
		return nil, wrapErr(err, "get client %q", id)
	}
	return row.toDomain(), nil
}

// ListClients returns all clients, oldest first.
func (s *Store) ListClients(ctx context.Context) ([]*oauth.Client, error) {
	var rows []clientRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, wrapErr(err, "list clients")
	}
	out := make([]*oauth.Client, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// SetClientDisabled changes only the disabled flag, or returns
// oauth.ErrNotFound.
func (s *Store) SetClientDisabled(ctx context.Context, id string, disabled bool) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model((*clientRow)(nil)).Set("disabled = ?", disabled).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "set disabled of client %q", id)
}

// UpdateClient replaces the metadata of the client with c.ID (never its
// disabled flag: see SetClientDisabled), or
// returns oauth.ErrNotFound. ID and CreatedAt never change, and LastUsedAt
// belongs to TouchClient so that an edit based on a stale read cannot move it
// back.
func (s *Store) UpdateClient(ctx context.Context, c *oauth.Client) error {
	row, err := clientFromDomain(c)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model(row).Column(
			"secret_hash", "name", "redirect_uris", "grant_types", "response_types",
			"token_endpoint_auth_method", "scope", "client_uri", "logo_uri", "contacts",
			"software_id", "software_version", "source", "jwks_uri", "jwks", "registration_token_hash", "resource_server",
		).WherePK().Exec(ctx))
	}
	return wrapErr(err, "update client %q", c.ID)
}

// DeleteClient deletes the client, or returns oauth.ErrNotFound. Its grants
// and consents stay until they are revoked or expire.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewDelete().Model((*clientRow)(nil)).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "delete client %q", id)
}

// SetClientIgnoredScopes replaces only the client's IgnoredScopes, or
// returns oauth.ErrNotFound.
func (s *Store) SetClientIgnoredScopes(ctx context.Context, id string, scopes []string) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model((*clientRow)(nil)).
			Set("ignored_scopes = ?", stringList(scopes)).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "set ignored scopes of client %q", id)
}

// TouchClient sets the client's LastUsedAt, or returns oauth.ErrNotFound.
func (s *Store) TouchClient(ctx context.Context, id string, at time.Time) error {
	err := validKey(id)
	if err == nil {
		err = checkAffected(s.db.NewUpdate().Model((*clientRow)(nil)).
			Set("last_used_at = ?", toDB(at)).Where("id = ?", id).Exec(ctx))
	}
	return wrapErr(err, "touch client %q", id)
}
