package storetest

import (
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// Fixtures return fresh values with every field set, so round trips check
// each column. Callers change what a test is about.

func newClient(id string, created time.Time) *oauth.Client {
	return &oauth.Client{
		ID:                      id,
		SecretHash:              "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		Name:                    "Client " + id,
		RedirectURIs:            []string{"https://app.example/cb", "http://127.0.0.1:9999/cb"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: oauth.AuthClientSecretBasic,
		Scope:                   "read write",
		ClientURI:               "https://app.example/",
		LogoURI:                 "https://app.example/logo.png",
		Contacts:                []string{"ops@app.example"},
		SoftwareID:              "4NRB1-0XZABZI9E6-5SM3R",
		SoftwareVersion:         "2.1.0",
		Source:                  oauth.SourceDCR,
		JWKSURI:                 "https://app.example/jwks.json",
		JWKS:                    `{"keys":[]}`,
		RegistrationTokenHash:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		RegisteredFrom:          "192.0.2.7",
		ResourceServer:          true,
		Disabled:                false,
		CreatedAt:               created,
		LastUsedAt:              nil,
	}
}

func newUser(id, username string, created time.Time) *oauth.User {
	return &oauth.User{
		ID:           id,
		Username:     username,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		Admin:        true,
		Disabled:     false,
		CreatedAt:    created,
		UpdatedAt:    created.Add(time.Minute),
	}
}

func newRoute(name string, created time.Time) *oauth.Route {
	return &oauth.Route{
		Name:      name,
		Upstream:  "http://127.0.0.1:7000/" + name,
		Title:     "Route " + name,
		Scopes:    []string{"tools:read", "tools:call", "notes:delete"},
		StepUp:    []oauth.StepUpRule{{Method: "tools/call", Tool: "delete_*", Scopes: []string{"notes:delete"}}},
		AdminOnly: true, AllowedUsers: []string{"alice", "bob"},
		UpstreamHeaderName: "Authorization", UpstreamHeaderSealed: []byte{1, 2, 3, 0, 255},
		CreatedAt: created,
	}
}

func newAuthRequest(id string) *oauth.AuthRequest {
	return &oauth.AuthRequest{
		ID:            id,
		ClientID:      "client-1",
		RedirectURI:   "https://app.example/cb",
		State:         "xyz-state",
		Scopes:        []string{"tools:read"},
		Route:         "files",
		Resource:      "https://latchkey.example/mcp/files",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Prompt:        "consent",
		CreatedAt:     base(),
		ExpiresAt:     base().Add(10 * time.Minute),
	}
}

func newCode(hash string) *oauth.Code {
	return &oauth.Code{
		Hash:          hash,
		GrantID:       "grant-" + hash,
		ClientID:      "client-1",
		UserID:        "user-1",
		RedirectURI:   "https://app.example/cb",
		Route:         "files",
		Resource:      "https://latchkey.example/mcp/files",
		Scopes:        []string{"tools:read", "tools:call"},
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CreatedAt:     base(),
		ExpiresAt:     base().Add(time.Minute),
	}
}

func newGrant(id, userID, clientID string, created time.Time) *oauth.Grant {
	return &oauth.Grant{
		ID:         id,
		ClientID:   clientID,
		UserID:     userID,
		Route:      "files",
		Resource:   "https://latchkey.example/mcp/files",
		Scopes:     []string{"tools:read"},
		CreatedAt:  created,
		ExpiresAt:  created.Add(30 * 24 * time.Hour),
		LastUsedAt: created,
	}
}

func newRefreshToken(hash, grantID string) *oauth.RefreshToken {
	return &oauth.RefreshToken{
		Hash:      hash,
		GrantID:   grantID,
		CreatedAt: base(),
		ExpiresAt: base().Add(24 * time.Hour),
	}
}

func newSigningKey(id string, created time.Time) *oauth.SigningKey {
	return &oauth.SigningKey{
		ID:         id,
		Algorithm:  "ES256",
		PrivateEnc: []byte{0x00, 0x01, 0xfe, 0xff, 'k', 'e', 'y', 0x00},
		PublicJWK:  []byte(`{"kty":"EC","crv":"P-256","kid":"` + id + `"}`),
		CreatedAt:  created,
	}
}
