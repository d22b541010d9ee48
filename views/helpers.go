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

// flashClass maps a flash kind to its callout style.
func flashClass(kind string) string {
	if kind == "error" {
		return "callout-error"
	}
	return "callout-verified"
}

// Chart geometry: a 600×160 plot at (40, 10) inside a 650×195 view box.
const (
	chartLeft, chartTop, chartW, chartH = 40.0, 10.0, 600.0, 160.0
)

func chartViewBox() string { return "0 0 650 195" }

// chartX is the x coordinate of bucket i of n.
func chartX(i, n int) string {
	if n <= 1 {
		return strconv.FormatFloat(chartLeft, 'f', 1, 64)
	}
	return strconv.FormatFloat(chartLeft+chartW*float64(i)/float64(n-1), 'f', 1, 64)
}

// chartPoints is a polyline's points for values scaled to max.
func chartPoints(values []int64, max int64) string {
	if max < 1 {
		max = 1
	}
	var b []byte
	for i, v := range values {
		if i > 0 {
			b = append(b, ' ')
		}
		y := chartTop + chartH - chartH*float64(v)/float64(max)
		b = append(b, chartX(i, len(values))...)
		b = append(b, ',')
		b = strconv.AppendFloat(b, y, 'f', 1, 64)
	}
	return string(b)
}

// seriesClass picks one of the stylesheet's series colours.
func seriesClass(i int) string { return "s" + strconv.Itoa(i%6) }

// SourceLabel names where a client came from.
func SourceLabel(s string) string {
	switch s {
	case "dcr":
		return "Registered"
	case "cimd":
		return "Metadata document"
	case "static":
		return "Pre-registered"
	}
	return s
}

// statusBadge styles a grant or key status.
func statusBadge(s string) string {
	switch s {
	case "active":
		return "badge-ok"
	case "revoked", "expired", "disabled":
		return "badge-muted"
	}
	return ""
}

// routeFormAction is where the route form posts.
func routeFormAction(editing bool, name string) string {
	if editing {
		return "/admin/routes/" + name
	}
	return "/admin/routes"
}
