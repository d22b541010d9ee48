package oauth

import (
	"encoding/json"
	"net/http"
	"sort"
)

// Metadata is the RFC 8414 authorization server metadata document. Only what
// is implemented is advertised (LX-6).
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint,omitempty"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	// RFC 8414 §2: how callers authenticate at introspection and revocation.
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	JWKSURI                                   string   `json:"jwks_uri"`
	ScopesSupported                           []string `json:"scopes_supported"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	ResponseModesSupported                    []string `json:"response_modes_supported"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported             []string `json:"code_challenge_methods_supported"`
	// RFC 9207 (LX-4).
	AuthorizationResponseISSParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
	// OIDC Discovery 1.0 §3: subjects are stable, per-user, the same for every client.
	SubjectTypesSupported []string `json:"subject_types_supported"`
	// RFC 8707 is honoured: tokens are bound to the requested resource.
	ResourceIndicatorsSupported bool `json:"resource_indicators_supported"`
	// RFC 7523 client assertions (LX-5).
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	// Client ID metadata documents (AS-5); absent unless advertised (LX-7).
	ClientIDMetadataDocumentSupported bool `json:"client_id_metadata_document_supported,omitempty"`
}

// ScopeOfflineAccess is accepted and advertised (LX-6; ChatGPT asks for it).
const ScopeOfflineAccess = "offline_access"

// BuildMetadata assembles the metadata document from the configuration and
// the current routes' scopes.
func (p *Provider) BuildMetadata(r *http.Request) (*Metadata, error) {
	routes, err := p.store.ListRoutes(r.Context())
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{ScopeOfflineAccess: true}
	for _, rt := range routes {
		for _, s := range rt.Scopes {
			seen[s] = true
		}
	}
	scopes := make([]string, 0, len(seen))
	for s := range seen {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	iss := p.cfg.Issuer
	m := &Metadata{
		Issuer:                iss,
		AuthorizationEndpoint: iss + "/authorize",
		TokenEndpoint:         iss + "/token",
		IntrospectionEndpoint: iss + "/introspect",
		UserinfoEndpoint:      iss + "/userinfo",
		RevocationEndpoint:    iss + "/revoke",
		IntrospectionEndpointAuthMethodsSupported:  []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT},
		RevocationEndpointAuthMethodsSupported:     []string{AuthNone, AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT},
		JWKSURI:                                    iss + "/jwks.json",
		ScopesSupported:                            scopes,
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{GrantAuthorizationCode, GrantRefreshToken},
		TokenEndpointAuthMethodsSupported:          []string{AuthNone, AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT},
		CodeChallengeMethodsSupported:              []string{PKCEMethodS256},
		AuthorizationResponseISSParameterSupported: true,
		SubjectTypesSupported:                      []string{"public"},
		ResourceIndicatorsSupported:                true,
		TokenEndpointAuthSigningAlgValuesSupported: assertionAlgs(),
		ClientIDMetadataDocumentSupported:          p.cfg.ClientMetadata == ClientMetadataAdvertise,
	}
	if p.cfg.AllowRegistration && !p.cfg.HideRegistration {
		m.RegistrationEndpoint = iss + "/register"
	}
	return m, nil
}

// ServeMetadata answers both /.well-known/oauth-authorization-server (RFC
// 8414 §3) and /.well-known/openid-configuration (OIDC Discovery §4) (AS-4,
// AS-23: code_challenge_methods_supported is always present).
func (p *Provider) ServeMetadata(w http.ResponseWriter, r *http.Request) {
	m, err := p.BuildMetadata(r)
	if err != nil {
		p.writeError(r.Context(), w, ServerError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(m)
}

// ServeJWKS answers /jwks.json with the public keys in their verification window.
func (p *Provider) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	// Short: a rotated-in key signs at once, so verifiers must refetch soon.
	w.Header().Set("Cache-Control", "public, max-age=60")
	_ = json.NewEncoder(w).Encode(p.keys.JWKS())
}
