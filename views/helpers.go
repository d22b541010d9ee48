package views

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/a-h/templ"
)

// siteName is appended to every document title.
const siteName = "Latchkey"

// documentTitle appends the site name to a page title.
func documentTitle(title string) string {
	if title == "" {
		return siteName
	}
	return title + " · " + siteName
}

// httpsURL returns raw as a link target only when it is an absolute https URL
// with a host and no userinfo; anything else must be shown as text.
func httpsURL(raw string) (templ.SafeURL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return "", false
	}
	return templ.SafeURL(u.String()), true
}

// routeLabel is the human name of a route: its title, else its name.
func routeLabel(title, name string) string {
	if title != "" {
		return title
	}
	return name
}

// statusLine renders an HTTP status as "Error 404 · Not Found".
func statusLine(status int) string {
	s := "Error " + strconv.Itoa(status)
	if text := http.StatusText(status); text != "" {
		s += " · " + text
	}
	return s
}

// routeURLID is the element id holding the MCP URL of the i-th home route,
// the target of its copy button.
func routeURLID(i int) string {
	return "route-url-" + strconv.Itoa(i)
}

// nonceAttr is the CSP nonce attribute for our script element, or nothing
// when the server set no nonce (templ.WithNonce) on the context.
func nonceAttr(ctx context.Context) templ.Attributes {
	if n := templ.GetNonce(ctx); n != "" {
		return templ.Attributes{"nonce": n}
	}
	return nil
}
