package oauth

import (
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzParseTokenForm: a token request form is accepted only as an
// application/x-www-form-urlencoded body with no query; what comes back is
// exactly url.ParseQuery of the body, with no parameter repeated but
// resource (RFC 6749 §3.2, RFC 8707 §2); every refusal is invalid_request.
func FuzzParseTokenForm(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	for _, s := range [][3]string{
		{form, "", "grant_type=authorization_code&code=lkac_x&code_verifier=v&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"},
		{form, "", "grant_type=refresh_token&refresh_token=lkrt_x&resource=https%3A%2F%2Flk.example%2Fmcp%2Fa&resource=b"},
		{form, "", "grant_type=a&grant_type=b"},
		{form, "code=x", "grant_type=authorization_code"},
		{form + "; charset=UTF-8", "", "a=1;b=2"},
		{"Application/X-WWW-Form-URLencoded", "", "a=%zz"},
		{"application/json", "", `{"grant_type":"authorization_code"}`},
		{"multipart/form-data; boundary=x", "", "--x\r\n"},
		{form, "", "client_id=a&Client_ID=b&client_id%00=c"},
		{"", "", "a=1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, contentType, rawQuery, body string) {
		r := &http.Request{
			Method: http.MethodPost, URL: &url.URL{Path: "/token", RawQuery: rawQuery},
			Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		got, err := parseTokenForm(httptest.NewRecorder(), r)
		if err != nil {
			if e := AsError(err); e.Code != CodeInvalidRequest {
				t.Fatalf("refused with %q, want invalid_request", e.Code)
			}
			return
		}
		if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
			t.Fatalf("accepted Content-Type %q", contentType)
		}
		if rawQuery != "" {
			t.Fatalf("accepted a query %q", rawQuery)
		}
		want, werr := url.ParseQuery(body)
		if werr != nil {
			t.Fatalf("accepted body %q that url.ParseQuery refuses: %v", body, werr)
		}
		if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
			t.Fatalf("form %v, url.ParseQuery %v", got, want)
		}
		for k, vs := range got {
			if len(vs) > 1 && k != "resource" {
				t.Fatalf("accepted %q %d times", k, len(vs))
			}
		}
	})
}

// FuzzNarrowScopes: a refresh request's scope only narrows (RFC 6749 §6):
// the result is a subset of the grant's, without repeats; an error is
// invalid_scope and names something outside the grant.
func FuzzNarrowScopes(f *testing.F) {
	for _, s := range []string{"", "a:read", "a:read a:read", "offline_access", "a:read b:x", "a:read\ta:write", "\u00a0a:read", "A:READ"} {
		f.Add(s, "a:read a:write offline_access")
	}
	f.Fuzz(func(t *testing.T, raw, grantedRaw string) {
		granted := strings.Fields(grantedRaw)
		if len(granted) > 64 || len(raw) > maxTokenBody {
			return // a grant holds a route's few scopes; the body is bounded
		}
		got, err := narrowScopes(raw, granted)
		if err != nil {
			if e := AsError(err); e.Code != CodeInvalidScope {
				t.Fatalf("narrowScopes(%q, %q): code %q, want invalid_scope", raw, granted, e.Code)
			}
			outside := false
			for _, s := range strings.Fields(raw) {
				outside = outside || (s != ScopeOfflineAccess && !slices.Contains(granted, s))
			}
			if !outside {
				t.Fatalf("narrowScopes(%q, %q) refused a subset: %v", raw, granted, err)
			}
			return
		}
		if len(strings.Fields(raw)) == 0 {
			if !slices.Equal(got, granted) {
				t.Fatalf("narrowScopes(%q, %q) = %q, want the whole grant", raw, granted, got)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range got {
			if !slices.Contains(granted, s) || seen[s] {
				t.Fatalf("narrowScopes(%q, %q) = %q: widened or repeated %q", raw, granted, got, s)
			}
			seen[s] = true
		}
	})
}
