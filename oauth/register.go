package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Grant types this server implements.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

const (
	maxRegistrationBody = 64 << 10
	maxRedirectURIs     = 20
	maxClientNameLen    = 200
)

// ClientMetadata is the RFC 7591 §2 registration request and response body.
type ClientMetadata struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	JWKSURI                 string   `json:"jwks_uri,omitempty"`
	JWKS                    any      `json:"jwks,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
	// ApplicationType is read and checked but not stored yet, so a
	// registration response leaves it out.
	ApplicationType string `json:"application_type,omitempty"`
}

// RegistrationResponse is the RFC 7591 §3.2.1 response.
type RegistrationResponse struct {
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientIDIssuedAt int64  `json:"client_id_issued_at"`
	// RFC 7591 §3.2.1: REQUIRED when a secret is issued; 0 means it never expires.
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	// RFC 7592 §3: the configuration endpoint and, on creation only, its token.
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri,omitempty"`
	ClientMetadata
}

// registrationUpdate is an RFC 7592 §2.2 PUT body.
type registrationUpdate struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	ClientMetadata
}

// ServeRegister handles POST /register (RFC 7591 §3).
func (p *Provider) ServeRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !p.cfg.AllowRegistration {
		writeJSON(w, http.StatusForbidden, errorBody{Error: CodeAccessDenied, ErrorDescription: "Dynamic client registration is disabled on this server."})
		return
	}
	if !p.admitRegistration(w, r) {
		return
	}
	var md ClientMetadata
	if err := decodeRegistrationBody(r, &md); err != nil {
		p.writeError(ctx, w, err)
		return
	}
	client, secret, err := p.NewClient(&md, SourceDCR)
	if err != nil {
		p.writeError(ctx, w, err)
		return
	}
	regToken := NewSecret(PrefixRegistrationToken)
	client.RegistrationTokenHash, client.RegisteredFrom = HashSecret(regToken), SourceKey(ClientIP(r))
	if err := p.store.CreateClient(ctx, client); err != nil {
		p.writeError(ctx, w, ServerError(err))
		return
	}
	writeJSON(w, http.StatusCreated, p.registrationResponse(client, secret, regToken))
}

// decodeRegistrationUpdate reads an RFC 7592 PUT body.
func decodeRegistrationUpdate(r *http.Request) (*ClientMetadata, *registrationUpdate, error) {
	var u registrationUpdate
	if err := decodeRegistrationBody(r, &u); err != nil {
		return nil, nil, err
	}
	return &u.ClientMetadata, &u, nil
}

// RegistrationResponseFor renders a stored client (and its one-time secret).
func RegistrationResponseFor(c *Client, secret string) RegistrationResponse {
	resp := RegistrationResponse{
		ClientID:         c.ID,
		ClientSecret:     secret,
		ClientIDIssuedAt: c.CreatedAt.Unix(),
		ClientMetadata: ClientMetadata{
			RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
			GrantTypes: c.GrantTypes, ResponseTypes: c.ResponseTypes, ClientName: c.Name,
			ClientURI: c.ClientURI, LogoURI: c.LogoURI, Scope: c.Scope, Contacts: c.Contacts,
			SoftwareID: c.SoftwareID, SoftwareVersion: c.SoftwareVersion,
		},
	}
	if secret != "" {
		zero := int64(0)
		resp.ClientSecretExpiresAt = &zero
	}
	return resp
}

func decodeRegistrationBody(r *http.Request, dst any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return InvalidClientMetadata("The registration request must be application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRegistrationBody+1))
	if err != nil {
		return InvalidRequest("The request body could not be read.")
	}
	if len(body) > maxRegistrationBody {
		return InvalidClientMetadata("The registration request is too large.")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return InvalidClientMetadata(fmt.Sprintf("Field %q has the wrong type.", te.Field))
		}
		return InvalidClientMetadata("The registration request is not a valid JSON object.")
	}
	return nil
}

// NewClient validates metadata (RFC 7591 §2, LX-3) and builds a client with a
// fresh ID and, for confidential clients, a secret returned once in clear.
func (p *Provider) NewClient(md *ClientMetadata, source string) (*Client, string, error) {
	if err := p.validateMetadata(md); err != nil {
		return nil, "", err
	}
	c := &Client{ID: "lkc_" + RandomString(16), Source: source, CreatedAt: p.now()}
	applyMetadata(c, md)
	var secret string
	if c.UsesSecret() {
		secret = NewSecret(PrefixClientSecret)
		c.SecretHash = HashSecret(secret)
	}
	return c, secret, nil
}

// applyMetadata copies validated metadata onto a client.
func applyMetadata(c *Client, md *ClientMetadata) {
	c.Name, c.RedirectURIs, c.GrantTypes, c.ResponseTypes = md.ClientName, md.RedirectURIs, md.GrantTypes, md.ResponseTypes
	c.TokenEndpointAuthMethod, c.Scope, c.ClientURI, c.LogoURI = md.TokenEndpointAuthMethod, md.Scope, md.ClientURI, md.LogoURI
	c.Contacts, c.SoftwareID, c.SoftwareVersion, c.JWKSURI = md.Contacts, md.SoftwareID, md.SoftwareVersion, md.JWKSURI
	c.JWKS, _ = clientJWKS(md) // validated before
}

// validateMetadata fills defaults and checks every field it relies on.
func (p *Provider) validateMetadata(md *ClientMetadata) error {
	// RFC 7591 §2 default is client_secret_basic.
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = AuthClientSecretBasic
	}
	switch md.TokenEndpointAuthMethod {
	case AuthNone, AuthClientSecretBasic, AuthClientSecretPost:
		if md.JWKS != nil || md.JWKSURI != "" {
			return InvalidClientMetadata("jwks and jwks_uri are only for token_endpoint_auth_method private_key_jwt.")
		}
	case AuthPrivateKeyJWT:
		if (md.JWKSURI == "") == (md.JWKS == nil) {
			return InvalidClientMetadata("private_key_jwt needs exactly one of jwks and jwks_uri.")
		}
	default:
		return InvalidClientMetadata(fmt.Sprintf("token_endpoint_auth_method %q is not supported; use none, client_secret_basic, client_secret_post or private_key_jwt.", Truncate(md.TokenEndpointAuthMethod, 50)))
	}
	if err := checkGrantAndRedirects(md, p.cfg.StrictRedirects); err != nil {
		return err
	}
	if _, err := clientJWKS(md); err != nil {
		return InvalidClientMetadata(err.Error() + ".")
	}
	return nil
}

// checkGrantAndRedirects fills grant and response type defaults and checks
// them, the redirect URIs (LX-3) and the display fields; registrations and
// metadata documents share it.
func checkGrantAndRedirects(md *ClientMetadata, strict bool) error {
	// MCP clients rely on refresh tokens, so both grants are the default (LX-6).
	if len(md.GrantTypes) == 0 {
		md.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	if len(md.ResponseTypes) == 0 {
		md.ResponseTypes = []string{"code"}
	}
	// A client may list grant and response types Latchkey does not serve
	// (VS Code's document lists the device-code grant, hosted connectors
	// jwt-bearer): keep what is served and drop the rest, which /token never
	// honours (unsupported_grant_type). RFC 7591 §3.2.1 lets the server
	// replace requested values; the response shows what is stored.
	md.GrantTypes = keepOnly(md.GrantTypes, GrantAuthorizationCode, GrantRefreshToken)
	md.ResponseTypes = keepOnly(md.ResponseTypes, "code")
	// RFC 7591 §2.1: authorization_code goes with the code response type;
	// without both nothing usable remains.
	if !slices.Contains(md.GrantTypes, GrantAuthorizationCode) {
		return InvalidClientMetadata("grant_types must include authorization_code, the only authorization grant this server offers.")
	}
	if !slices.Contains(md.ResponseTypes, "code") {
		return InvalidClientMetadata("response_types must include code, the only response type this server offers.")
	}
	// application_type (OpenID Connect Registration §2) is accepted for
	// native and web clients; its redirect rules come with MCP 2026-07-28.
	switch md.ApplicationType {
	case "", "native", "web":
	default:
		return InvalidClientMetadata("application_type must be native or web.")
	}
	if len(md.RedirectURIs) == 0 {
		return InvalidRedirectURI("redirect_uris is required for the authorization_code grant.")
	}
	if len(md.RedirectURIs) > maxRedirectURIs {
		return InvalidRedirectURI(fmt.Sprintf("At most %d redirect_uris are accepted.", maxRedirectURIs))
	}
	for _, u := range md.RedirectURIs {
		if err := CheckRedirectURI(u, strict); err != nil {
			return err
		}
	}
	return validateDisplayFields(md)
}

// keepOnly returns the distinct values of list that are among served, in
// the order listed.
func keepOnly(list []string, served ...string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if slices.Contains(served, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// validateDisplayFields checks what the consent page and console show.
func validateDisplayFields(md *ClientMetadata) error {
	md.ClientName = strings.TrimSpace(md.ClientName)
	if !CleanText(md.ClientName, maxClientNameLen) {
		return InvalidClientMetadata(fmt.Sprintf("client_name must be at most %d printable characters.", maxClientNameLen))
	}
	for name, v := range map[string]string{"client_uri": md.ClientURI, "logo_uri": md.LogoURI, "tos_uri": md.TOSURI, "policy_uri": md.PolicyURI, "jwks_uri": md.JWKSURI} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || !CleanText(v, 2000) {
			return InvalidClientMetadata(fmt.Sprintf("%s must be an https URL.", name))
		}
	}
	for _, s := range append([]string{md.Scope, md.SoftwareID, md.SoftwareVersion}, md.Contacts...) {
		if !CleanText(s, 500) {
			return InvalidClientMetadata("Text fields must be printable and at most 500 characters.")
		}
	}
	return nil
}

// CleanText reports whether s is valid UTF-8, at most max runes, without
// control characters, and without the invisible characters that let a
// client name spoof a page: bidirectional overrides and isolates (U+202A–
// U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) that reorder what follows
// ("Trusted App\u202e" …), and zero-width characters (U+200B–U+200D,
// U+2060, U+FEFF, U+180E, U+00AD soft hyphen) that make two names look
// the same.
func CleanText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return false
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return false
		case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x180e, r == 0xad:
			return false
		}
	}
	return true
}
