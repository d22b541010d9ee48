package views

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func TestErrorPage(t *testing.T) {
	t.Parallel()
	p := ErrorProps{
		Page:      testPage(""),
		Status:    400,
		Title:     "This sign-in link is not valid",
		Message:   "Start again from your app.",
		RequestID: "req-7",
	}
	doc, _ := render(t, ErrorPage(p))
	wantText(t, one(t, doc, "data-testid", "error-title"), p.Title)
	wantText(t, one(t, doc, "data-testid", "error-message"), p.Message)
	wantText(t, one(t, doc, "data-testid", "error-status"), "400")
	wantText(t, one(t, doc, "data-testid", "error-reference"), "req-7")

	doc, _ = render(t, ErrorPage(ErrorProps{Page: testPage("")}))
	wantText(t, one(t, doc, "data-testid", "error-title"), "Something went wrong")
	none(t, doc, "data-testid", "error-status")
	none(t, doc, "data-testid", "error-reference")
}

func TestHome(t *testing.T) {
	t.Parallel()
	p := HomeProps{
		Page:   testPage(""),
		Issuer: "https://latchkey.example",
		Routes: []HomeRoute{
			{Name: "github", Title: "GitHub tools", URL: "https://latchkey.example/mcp/github"},
			{Name: "notes", URL: "https://latchkey.example/mcp/notes"},
		},
	}
	doc, _ := render(t, Home(p))
	wantText(t, one(t, doc, "data-testid", "issuer"), p.Issuer)
	one(t, doc, "href", "/.well-known/oauth-authorization-server")
	routes := findAll(doc, hasAttr("data-testid", "home-route"))
	if len(routes) != len(p.Routes) {
		t.Fatalf("found %d routes, want %d", len(routes), len(p.Routes))
	}
	for i, r := range routes {
		wantText(t, r, p.Routes[i].URL)
		buttons := findAll(r, tag("button"))
		if len(buttons) != 1 {
			t.Fatalf("route %d has %d buttons, want 1", i, len(buttons))
		}
		wantAttr(t, buttons[0], "type", "button")
		target, _ := attr(buttons[0], "data-copy")
		wantText(t, one(t, doc, "id", target), p.Routes[i].URL)
	}

	doc, _ = render(t, Home(HomeProps{Page: testPage("")}))
	one(t, doc, "data-testid", "no-routes")
}

// TestEscaping feeds markup through every user-controlled field and checks
// that it comes out as text: the only <script> element is the layout's own.
func TestEscaping(t *testing.T) {
	t.Parallel()
	page := testPage(evil)
	page.Title = evil
	page.CSRFToken = `"><script>alert(1)</script>`
	tests := map[string]templ.Component{
		"login": Login(LoginProps{
			Page: page, Action: "/login", CSRFToken: evil, Next: `"><script>alert(1)</script>`,
			Username: evil, Error: evil, ClientName: evil,
		}),
		"consent": Consent(ConsentProps{
			Page: page, Action: "/consent", CSRFToken: evil, RequestID: evil,
			ClientName: evil, ClientID: evil, ClientURI: "https://x.example/" + evil, MetadataHost: evil,
			RedirectHost: evil, RedirectURI: evil, LoopbackOnly: true, RouteName: evil, RouteTitle: evil,
			ResourceURL: evil, Scopes: []ScopeItem{{Name: evil, Description: evil, New: true}}, Username: evil,
		}),
		"error": ErrorPage(ErrorProps{Page: page, Status: 500, Title: evil, Message: evil, RequestID: evil}),
		"home": Home(HomeProps{Page: page, Issuer: evil, Routes: []HomeRoute{
			{Name: evil, Title: evil, URL: evil},
		}}),
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, out := render(t, c)
			if strings.Contains(out, evil) {
				t.Errorf("output contains unescaped %q", evil)
			}
			if got := len(findAll(doc, tag("script"))); got != 1 {
				t.Errorf("found %d <script> elements, want 1", got)
			}
			if !strings.Contains(text(doc), evil) {
				t.Errorf("page text does not show %q literally", evil)
			}
		})
	}
}

func TestConsentJavascriptActionSanitized(t *testing.T) {
	t.Parallel()
	p := consentProps()
	p.Action = "javascript:alert(1)"
	doc, _ := render(t, Consent(p))
	for _, f := range findAll(doc, tag("form")) {
		if action, _ := attr(f, "action"); strings.HasPrefix(action, "javascript:") {
			t.Errorf("form action = %q, want it sanitized", action)
		}
	}
}
