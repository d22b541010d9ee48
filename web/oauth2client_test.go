package web_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/db/dbtest"
)

// TestOAuth2ClientLibrary drives the flow with golang.org/x/oauth2: PKCE S256
// and the resource parameter, a code exchange, then a refresh through the
// library's TokenSource, for a public and a confidential (Basic) client.
func TestOAuth2ClientLibrary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	public := e.registerPublic(cb)
	confidential := e.registerClient(map[string]any{"client_name": "Confidential", "redirect_uris": []string{cb}})
	tests := []struct {
		name, id, secret string
		style            oauth2.AuthStyle
	}{
		{"public", public.ClientID, "", oauth2.AuthStyleInParams},
		{"confidential basic", confidential.ClientID, confidential.ClientSecret, oauth2.AuthStyleInHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			conf := &oauth2.Config{
				ClientID: tt.id, ClientSecret: tt.secret, RedirectURL: cb, Scopes: []string{"files:read"},
				Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/authorize", TokenURL: e.issuer + "/token", AuthStyle: tt.style},
			}
			verifier := oauth2.GenerateVerifier()
			resource := oauth2.SetAuthURLParam("resource", e.resource("files"))
			authURL := conf.AuthCodeURL("lib-state", oauth2.S256ChallengeOption(verifier), resource)
			back := e.signInAt(e.browser(), authURL)
			if back.Query().Get("state") != "lib-state" || back.Query().Get("iss") != e.issuer {
				t.Fatalf("callback %s lacks state or iss", back)
			}
			tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier), resource)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "files:read" ||
				time.Until(tok.Expiry) < 14*time.Minute {
				t.Fatalf("token = %+v", tok)
			}
			if _, err := e.provider.Keys().VerifyAccessToken(tok.AccessToken, e.issuer, e.resource("files"), e.clock.Now()); err != nil {
				t.Fatalf("access token: %v", err)
			}
			tok.Expiry = time.Now().Add(-time.Minute) // force the library to refresh
			fresh, err := conf.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatalf("refresh through TokenSource: %v", err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken || fresh.RefreshToken == "" {
				t.Fatal("refresh did not rotate both tokens")
			}
			// The library surfaces our RFC 6749 §5.2 errors as RetrieveError.
			_, err = conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier), resource)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != http.StatusBadRequest {
				t.Fatalf("replayed code: %v; want RetrieveError invalid_grant", err)
			}
		})
	}
}
