package oauth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/oauth"
)

// FuzzServeToken: POST /token with any Authorization header, content type
// and body never issues a token (the store holds no code or refresh
// token), never answers 5xx, and always answers an RFC 6749 §5.2 error:
// JSON with no-store, a known code, a description within the §5.2
// charset, 401 exactly for invalid_client, and a Basic challenge only
// when Basic credentials were sent (and always then, with invalid_client).
func FuzzServeToken(f *testing.F) {
	p, _ := fuzzProvider(f)
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	const form = "application/x-www-form-urlencoded"
	for _, s := range [][3]string{
		{"", form, "grant_type=authorization_code&code=lkac_x&code_verifier=" + strings.Repeat("v", 43) + "&client_id=lkc_pub&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"},
		{"", form, "grant_type=refresh_token&refresh_token=lkrt_x&client_id=lkc_pub"},
		{basic("lkc_conf", fuzzClientSecret), form, "grant_type=authorization_code&code=lkac_x"},
		{basic("lkc_conf", "wrong"), form, "grant_type=refresh_token&refresh_token=x"},
		{basic("lkc_conf", fuzzClientSecret), form, "grant_type=authorization_code&client_secret=" + fuzzClientSecret},
		{basic("lkc%5Fconf", "lksec%5Ffuzz"), form, "grant_type=password"},
		{basic("lkc_conf%zz", "x"), form, "grant_type=authorization_code"},
		{basic("lkc_pub", ""), form, "grant_type=authorization_code&client_id=lkc_one"},
		{"Basic !!!", form, "client_id=lkc_pub&grant_type=authorization_code"},
		{"", form, "client_id=lkc_conf&client_secret=" + fuzzClientSecret + "&grant_type=client_credentials"},
		{"", form, "client_id=lkc_pub&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=a.b.c"},
		{"", form, "client_id=https%3A%2F%2Fapp.example%2Fc.json&grant_type=authorization_code"},
		{"", form, "client_id=lkc_off&grant_type=authorization_code&code=x"},
		{"", form, "grant_type=authorization_code&grant_type=refresh_token&client_id=lkc_pub"},
		{"", "application/json", `{"grant_type":"authorization_code"}`},
		{"", form, "client_id=lkc_pub&grant_type=refresh_token&refresh_token=x&resource=a&resource=b"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, authorization, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		p.ServeToken(w, r)
		res := w.Result()
		if res.StatusCode == http.StatusOK {
			t.Fatalf("issued a token: %s", w.Body)
		}
		if res.StatusCode >= 500 || (res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnauthorized) {
			t.Fatalf("status %d: %s", res.StatusCode, w.Body)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", res.Header)
		}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		switch e.Error {
		case oauth.CodeInvalidRequest, oauth.CodeInvalidClient, oauth.CodeInvalidGrant, oauth.CodeUnauthorizedClient,
			oauth.CodeUnsupportedGrantType, oauth.CodeInvalidScope, oauth.CodeInvalidTarget:
		default:
			t.Fatalf("error %q", e.Error)
		}
		if (res.StatusCode == http.StatusUnauthorized) != (e.Error == oauth.CodeInvalidClient) {
			t.Fatalf("status %d for %q", res.StatusCode, e.Error)
		}
		for i := 0; i < len(e.Description); i++ {
			if c := e.Description[i]; c < 0x20 || c == '"' || c == '\\' || c > 0x7e {
				t.Fatalf("error_description %q has byte %#x outside RFC 6749 §5.2", e.Description, c)
			}
		}
		_, _, hasBasic := r.BasicAuth()
		challenge := res.Header.Get("WWW-Authenticate")
		if challenge != "" && !hasBasic {
			t.Fatalf("Basic challenge %q without Basic credentials", challenge)
		}
		if hasBasic && e.Error == oauth.CodeInvalidClient && !strings.HasPrefix(challenge, "Basic ") {
			t.Fatalf("invalid_client for Basic credentials without a Basic challenge (RFC 6749 §5.2)")
		}
	})
}
