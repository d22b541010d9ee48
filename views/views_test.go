package views

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

const (
	testNonce = "n0nce-abc123"
	evil      = `<script>alert(1)</script>`
)

func testPage(username string) Page {
	return Page{
		Title:     "Test",
		CSSURL:    "/static/0123456789/css/app.css",
		JSURL:     "/static/abcdef0123/js/app.js",
		LogoURL:   "/static/9876543210/img/logo.svg",
		Username:  username,
		CSRFToken: "layout-csrf",
	}
}

// render renders c with a CSP nonce in the context and parses the output.
func render(t *testing.T, c templ.Component) (*html.Node, string) {
	t.Helper()
	var sb strings.Builder
	ctx := templ.WithNonce(context.Background(), testNonce)
	if err := c.Render(ctx, &sb); err != nil {
		t.Fatalf("Render: %v", err)
	}
	doc, err := html.Parse(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	return doc, sb.String()
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(key, val string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := attr(n, key)
		return ok && v == val
	}
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func text(n *html.Node) string {
	var sb strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			sb.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(sb.String()), " ")
}

// one returns the single element matching key=val, failing otherwise.
func one(t *testing.T, doc *html.Node, key, val string) *html.Node {
	t.Helper()
	got := findAll(doc, hasAttr(key, val))
	if len(got) != 1 {
		t.Fatalf("found %d elements with %s=%q, want 1", len(got), key, val)
	}
	return got[0]
}

func none(t *testing.T, doc *html.Node, key, val string) {
	t.Helper()
	if got := findAll(doc, hasAttr(key, val)); len(got) != 0 {
		t.Errorf("found %d elements with %s=%q, want 0", len(got), key, val)
	}
}

func wantAttr(t *testing.T, n *html.Node, key, want string) {
	t.Helper()
	if got, ok := attr(n, key); !ok || got != want {
		t.Errorf("<%s %s> = %q (present %v), want %q", n.Data, key, got, ok, want)
	}
}

func wantBool(t *testing.T, n *html.Node, key string) {
	t.Helper()
	if _, ok := attr(n, key); !ok {
		t.Errorf("<%s> lacks %s", n.Data, key)
	}
}

func wantText(t *testing.T, n *html.Node, want string) {
	t.Helper()
	if got := text(n); !strings.Contains(got, want) {
		t.Errorf("text %q does not contain %q", got, want)
	}
}

// hiddenInput returns the value of the hidden input name inside form.
func hiddenInput(t *testing.T, form *html.Node, name string) string {
	t.Helper()
	got := findAll(form, func(n *html.Node) bool {
		typ, _ := attr(n, "type")
		v, _ := attr(n, "name")
		return n.Data == "input" && typ == "hidden" && v == name
	})
	if len(got) != 1 {
		t.Fatalf("found %d hidden inputs %q, want 1", len(got), name)
	}
	v, _ := attr(got[0], "value")
	return v
}

func submitButtons(n *html.Node) []*html.Node {
	return findAll(n, func(n *html.Node) bool {
		typ, ok := attr(n, "type")
		return (n.Data == "button" && (!ok || typ == "submit")) || (n.Data == "input" && typ == "submit")
	})
}

func loginProps() LoginProps {
	return LoginProps{
		Page:      testPage(""),
		Action:    "/login",
		CSRFToken: "csrf-1",
		Next:      "opaque-next",
	}
}

func consentProps() ConsentProps {
	return ConsentProps{
		Page:         testPage("alice"),
		Action:       "/consent",
		CSRFToken:    "csrf-2",
		RequestID:    "req-42",
		ClientName:   "Claude Desktop",
		ClientID:     "https://app.example.com/client.json",
		ClientURI:    "https://app.example.com",
		MetadataHost: "app.example.com",
		RedirectHost: "app.example.com",
		RedirectURI:  "https://app.example.com/callback?x=1",
		RouteName:    "github",
		RouteTitle:   "GitHub tools",
		ResourceURL:  "https://latchkey.example/mcp/github",
		Scopes: []ScopeItem{
			{Name: "repo:read", Description: "Read repositories"},
			{Name: "repo:write", New: true},
		},
		Username: "alice",
	}
}

// pages is every page component, for checks that hold on all of them.
func pages() map[string]templ.Component {
	return map[string]templ.Component{
		"login":   Login(loginProps()),
		"consent": Consent(consentProps()),
		"error":   ErrorPage(ErrorProps{Page: testPage(""), Status: 400, Title: "Bad", Message: "m"}),
		"home":    Home(HomeProps{Page: testPage(""), Issuer: "https://latchkey.example", Routes: []HomeRoute{{Name: "a", URL: "https://x/mcp/a"}}}),
	}
}

func TestPagesStrictCSP(t *testing.T) {
	t.Parallel()
	for name, c := range pages() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, out := render(t, c)
			if !strings.HasPrefix(strings.ToLower(out), "<!doctype html>") {
				t.Errorf("output starts %q, want <!doctype html>", out[:min(len(out), 20)])
			}
			scripts := findAll(doc, tag("script"))
			if len(scripts) != 1 {
				t.Fatalf("found %d <script> elements, want 1", len(scripts))
			}
			wantAttr(t, scripts[0], "nonce", testNonce)
			wantAttr(t, scripts[0], "src", "/static/abcdef0123/js/app.js")
			wantBool(t, scripts[0], "defer")
			if text(scripts[0]) != "" {
				t.Errorf("script has inline body %q, want none", text(scripts[0]))
			}
			if got := findAll(doc, tag("style")); len(got) != 0 {
				t.Errorf("found %d <style> elements, want 0", len(got))
			}
			for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s> has inline %s attribute", n.Data, a.Key)
					}
				}
			}
			for _, f := range findAll(doc, tag("form")) {
				if action, _ := attr(f, "action"); !strings.HasPrefix(action, "/") {
					t.Errorf("form action = %q, want a same-origin path", action)
				}
			}
			wantAttr(t, one(t, doc, "rel", "stylesheet"), "href", "/static/0123456789/css/app.css")
			wantAttr(t, one(t, doc, "name", "referrer"), "content", "no-referrer")
			wantAttr(t, findAll(doc, tag("html"))[0], "lang", "en")
		})
	}
}

func TestLayoutWithoutNonce(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	if err := Layout(testPage("")).Render(context.Background(), &sb); err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(sb.String(), "nonce=") {
		t.Errorf("rendered a nonce attribute without a nonce in the context")
	}
}

func TestLayoutTitle(t *testing.T) {
	t.Parallel()
	tests := []struct{ title, want string }{
		{"Sign in", "Sign in · Latchkey"},
		{"", "Latchkey"},
		{evil, evil + " · Latchkey"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			p := testPage("")
			p.Title = tt.title
			doc, _ := render(t, Layout(p))
			if got := text(findAll(doc, tag("title"))[0]); got != tt.want {
				t.Errorf("title = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLayoutLogoutForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		username string
		wantForm bool
	}{
		{"anonymous", "", false},
		{"signed in", "alice", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, _ := render(t, Layout(testPage(tt.username)))
			forms := findAll(doc, hasAttr("action", "/logout"))
			if got := len(forms) == 1; got != tt.wantForm {
				t.Fatalf("found %d logout forms, want form=%v", len(forms), tt.wantForm)
			}
			if !tt.wantForm {
				none(t, doc, "data-testid", "signed-in-user")
				return
			}
			wantAttr(t, forms[0], "method", "post")
			if got := hiddenInput(t, forms[0], "csrf_token"); got != "layout-csrf" {
				t.Errorf("csrf_token = %q, want %q", got, "layout-csrf")
			}
			if got := len(submitButtons(forms[0])); got != 1 {
				t.Errorf("logout form has %d submit buttons, want 1", got)
			}
			wantText(t, one(t, doc, "class", "session"), "Signed in as alice")
		})
	}
}
