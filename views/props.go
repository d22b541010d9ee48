// Package views holds Latchkey's server-rendered pages as templ components.
// Each page takes one props struct; the package imports nothing internal, so
// handlers translate their domain values into these view models.
package views

// Page is the shell every page shares.
type Page struct {
	Title     string // document title; " · Latchkey" is appended
	CSSURL    string // static URL of css/app.css
	JSURL     string // static URL of js/app.js
	LogoURL   string // static URL of img/logo.svg
	Username  string // signed-in user, "" when anonymous
	CSRFToken string // for the logout form in the header when Username != ""
}

// LoginProps feeds the login page.
type LoginProps struct {
	Page       Page
	Action     string // form action URL, e.g. "/login"
	CSRFToken  string // hidden input name="csrf_token"
	Next       string // hidden input name="next" (opaque, may be "")
	Username   string // re-filled after a failed attempt
	Error      string // readable, generic message ("Incorrect username or password.")
	ClientName string // when the login is part of an authorization, "Sign in to continue to {ClientName}"; "" otherwise
}

// ScopeItem is one scope line on the consent page.
type ScopeItem struct {
	Name        string
	Description string // may be ""
	New         bool   // not granted before (show a "new" badge)
}

// ConsentProps feeds the consent page.
type ConsentProps struct {
	Page         Page
	Action       string // form action, e.g. "/consent"
	CSRFToken    string // hidden input name="csrf_token"
	RequestID    string // hidden input name="request_id" (the pending authorization request)
	ClientName   string
	ClientID     string
	ClientURI    string // may be ""; shown as text, never as an auto link unless https
	MetadataHost string // host of a URL client_id (client ID metadata document), "" otherwise
	RedirectHost string // host[:port] of the redirect URI, ALWAYS displayed clearly
	RedirectURI  string // full redirect URI, displayed in a <code> element
	LoopbackOnly bool   // redirect goes to this computer: warn that Latchkey cannot verify the app
	RouteName    string
	RouteTitle   string      // may be ""
	ResourceURL  string      // canonical resource URL of the route
	Scopes       []ScopeItem // may be empty: then say the app asks for basic access to the route
	Username     string      // who is consenting ("Signed in as …")
}

// ErrorProps feeds the error page.
type ErrorProps struct {
	Page      Page
	Status    int    // HTTP status, shown small
	Title     string // e.g. "This sign-in link is not valid"
	Message   string // readable, safe text
	RequestID string // shown as "Reference: …" for support, may be ""
}

// HomeProps feeds the landing page at "/".
type HomeProps struct {
	Page   Page
	Issuer string
	Routes []HomeRoute
}

// HomeRoute is one published MCP route on the landing page.
type HomeRoute struct{ Name, Title, URL string }
