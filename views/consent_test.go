package views

import (
	"testing"
)

func TestConsentContract(t *testing.T) {
	t.Parallel()
	p := consentProps()
	doc, _ := render(t, Consent(p))

	forms := findAll(doc, hasAttr("action", "/consent"))
	if len(forms) != 1 {
		t.Fatalf("found %d consent forms, want 1", len(forms))
	}
	form := forms[0]
	wantAttr(t, form, "method", "post")
	if got := hiddenInput(t, form, "csrf_token"); got != "csrf-2" {
		t.Errorf("csrf_token = %q, want %q", got, "csrf-2")
	}
	if got := hiddenInput(t, form, "request_id"); got != "req-42" {
		t.Errorf("request_id = %q, want %q", got, "req-42")
	}
	if got := len(submitButtons(form)); got != 2 {
		t.Errorf("consent form has %d submit buttons, want 2", got)
	}
	for _, tt := range []struct{ id, class string }{{"approve", "btn btn-primary"}, {"deny", "btn btn-secondary"}} {
		b := one(t, form, "id", tt.id)
		wantAttr(t, b, "name", "decision")
		wantAttr(t, b, "value", tt.id)
		wantAttr(t, b, "data-testid", tt.id)
		wantAttr(t, b, "class", tt.class)
	}

	wantText(t, one(t, doc, "data-testid", "consent-headline"), "Claude Desktop wants to access GitHub tools")
	wantText(t, one(t, doc, "data-testid", "client-name"), "Claude Desktop")
	wantText(t, one(t, doc, "data-testid", "redirect-host"), "app.example.com")
	uri := one(t, doc, "data-testid", "redirect-uri")
	if uri.Data != "code" {
		t.Errorf("redirect URI is in <%s>, want <code>", uri.Data)
	}
	wantText(t, uri, p.RedirectURI)
	wantText(t, one(t, doc, "data-testid", "metadata-host"), "app.example.com")
	route := one(t, doc, "data-testid", "route")
	wantText(t, route, "GitHub tools (github)")
	wantText(t, route, "https://latchkey.example/mcp/github")
	wantText(t, one(t, doc, "data-testid", "consent-user"), "alice")
	none(t, doc, "data-testid", "loopback-warning")

	scopes := findAll(doc, hasAttr("data-testid", "scope"))
	if len(scopes) != 2 {
		t.Fatalf("found %d scopes, want 2", len(scopes))
	}
	wantText(t, scopes[0], "repo:read Read repositories")
	if got := len(findAll(scopes[0], hasAttr("data-testid", "scope-new"))); got != 0 {
		t.Errorf("granted scope has %d new badges, want 0", got)
	}
	if got := len(findAll(scopes[1], hasAttr("data-testid", "scope-new"))); got != 1 {
		t.Errorf("new scope has %d new badges, want 1", got)
	}
	none(t, doc, "data-testid", "scope-basic")
}

func TestConsentVariants(t *testing.T) {
	t.Parallel()
	p := consentProps()
	p.MetadataHost = ""
	p.LoopbackOnly = true
	p.RedirectHost = "127.0.0.1:33418"
	p.RedirectURI = "http://127.0.0.1:33418/callback"
	p.RouteTitle = ""
	p.Scopes = nil
	doc, _ := render(t, Consent(p))

	none(t, doc, "data-testid", "metadata-host")
	wantText(t, one(t, doc, "data-testid", "loopback-warning"), "127.0.0.1:33418")
	wantText(t, one(t, doc, "data-testid", "consent-headline"), "wants to access github")
	wantText(t, one(t, doc, "data-testid", "scope-basic"), "basic access to github")
	none(t, doc, "data-testid", "scope")
}

func TestConsentClientURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		uri      string
		wantLink bool
	}{
		{"https", "https://app.example.com/about", true},
		{"http", "http://app.example.com", false},
		{"javascript", "javascript:alert(1)", false},
		{"relative", "/about", false},
		{"userinfo", "https://evil@app.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := consentProps()
			p.ClientURI = tt.uri
			doc, _ := render(t, Consent(p))
			dd := one(t, doc, "data-testid", "client-uri")
			wantText(t, dd, tt.uri)
			links := findAll(dd, tag("a"))
			if got := len(links) == 1; got != tt.wantLink {
				t.Fatalf("found %d links, want link=%v", len(links), tt.wantLink)
			}
			if tt.wantLink {
				wantAttr(t, links[0], "href", tt.uri)
			}
		})
	}
}
