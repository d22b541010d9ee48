package oauth

import (
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// maxClientKeys bounds a client's key set.
const maxClientKeys = 10

// clientJWKS validates an inline jwks and returns it as JSON ("" when none).
func clientJWKS(md *ClientMetadata) (string, error) {
	if md.JWKS == nil {
		return "", nil
	}
	raw, err := json.Marshal(md.JWKS)
	if err != nil {
		return "", errors.New("jwks is not a JSON object")
	}
	if _, err := parseClientKeys(raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// parseClientKeys parses a JWK Set and keeps only public signing keys.
func parseClientKeys(raw []byte) ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, errors.New("jwks is not a valid JWK Set")
	}
	var keys []jose.JSONWebKey
	for _, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks has no public signing key")
	}
	if len(keys) > maxClientKeys {
		return nil, errors.New("jwks has too many keys")
	}
	return keys, nil
}
