package views

// Console pages: operators' /admin and users' /account. Handlers fill these
// view models; nothing here knows the domain types.

// Console is the frame of every console page.
type Console struct {
	Page    Page
	Section string // the active navigation item, e.g. "clients"
	Admin   bool   // show the operators' navigation
	Crumbs  []Crumb
	Flash   *Flash
}

// Crumb is one breadcrumb; the last one has no URL.
type Crumb struct{ Label, URL string }

// Flash is a one-time message after a post-redirect-get. Secret, when set,
// is shown once with a copy button (a new client secret or password).
type Flash struct {
	Kind        string // "ok" or "error"
	Text        string
	Secret      string
	SecretLabel string
}

// Pager links to the neighbouring pages of a list ("" when none).
type Pager struct{ Prev, Next string }

// FieldErrors maps a form field name to its message.
type FieldErrors map[string]string

// Stat is one dashboard counter.
type Stat struct {
	Label string
	Value int
	URL   string
}

// Chart is a server-rendered SVG line chart: one series per route.
type Chart struct {
	Title  string
	Labels []string // x-axis labels, one per bucket (some may be "")
	Series []Series
	Max    int64 // the y-axis maximum (>= 1)
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Values []int64
	Total  int64
	Color  int // palette index
}

// DashboardProps feeds /admin.
type DashboardProps struct {
	Console Console
	Stats   []Stat
	Window  string // "24h" or "7d"
	Charts  []Chart
}

// ClientRow is a client in a list.
type ClientRow struct {
	ID, Name, Source, AuthMethod, LastUsed string
	Disabled                               bool
	URL                                    string
}

// ClientsProps feeds /admin/clients.
type ClientsProps struct {
	Console Console
	Query   string
	Source  string
	Used    string // "never": only clients that never got a token
	Clients []ClientRow
	Pager   Pager
}

// ClientDetailProps feeds /admin/client?id=…
type ClientDetailProps struct {
	Console   Console
	Client    ClientRow
	Fields    [][2]string // label, value
	Redirects []string
	Grants    []GrantRow
}

// ClientFormProps feeds /admin/clients/new.
type ClientFormProps struct {
	Console      Console
	Name         string
	RedirectURIs string // one per line
	AuthMethod   string
	Scope        string
	JWKSURI      string // for private_key_jwt
	Resource     bool   // a resource server: may introspect every token
	Errors       FieldErrors
}

// GrantRow is a grant (an app's access for a user on a route).
type GrantRow struct {
	ID, User, ClientID, ClientName, Route, Scopes, Status, Created, LastUsed string
	ClientURL                                                                string
}

// TokensProps feeds /admin/tokens.
type TokensProps struct {
	Console       Console
	User, Client  string
	All           bool
	Grants        []GrantRow
	Introspection [][2]string // result of the introspect form, nil when none
	Inactive      bool        // the introspected token is not active
	Pager         Pager
}

// RouteRow is a route in a list.
type RouteRow struct {
	Name, Title, Upstream, Scopes, URL, Policy string
}

// RoutesProps feeds /admin/routes.
type RoutesProps struct {
	Console Console
	Routes  []RouteRow
}

// RouteFormProps feeds the create and edit forms of a route.
type RouteFormProps struct {
	Console      Console
	Editing      bool // edit an existing route (the name is fixed)
	Name         string
	Title        string
	Upstream     string
	Scopes       string // space-separated
	StepUp       string // one rule per line: METHOD[:GLOB]=SCOPES
	AdminOnly    bool
	AllowedUsers string // space-separated usernames
	HeaderName   string // the upstream credential header ("" for none)
	HeaderSet    bool   // a credential is stored (its value is never shown)
	ResourceURL  string
	Errors       FieldErrors
}

// TrustProps feeds /admin/trust.
type TrustProps struct {
	Console Console
	Mode    string
	Domains []string
	Domain  string // re-filled after a bad entry
	Errors  FieldErrors
}

// UserRow is a user in a list.
type UserRow struct {
	Username, Created string
	Admin, Disabled   bool
	Self              bool // the signed-in operator (cannot disable or demote themself)
}

// UsersProps feeds /admin/users.
type UsersProps struct {
	Console  Console
	Users    []UserRow
	Username string // re-filled create form
	Admin    bool
	Errors   FieldErrors
}

// KeyRow is a signing key.
type KeyRow struct{ KID, Alg, Status, Created, Until string }

// KeysProps feeds /admin/keys.
type KeysProps struct {
	Console Console
	Keys    []KeyRow
}

// AuditRow is one audit event.
type AuditRow struct{ At, Actor, Action, Target, Detail, IP string }

// AuditProps feeds /admin/audit.
type AuditProps struct {
	Console Console
	Query   string
	Events  []AuditRow
	Pager   Pager
}

// AppRow is one app a user authorized: a client with its routes.
type AppRow struct {
	ClientID, ClientName, Host string
	Routes                     []AppRoute
	LastUsed                   string
}

// AppRoute is one route an app may use, with its scopes.
type AppRoute struct{ Route, Scopes string }

// AccountProps feeds /account.
type AccountProps struct {
	Console Console
	Apps    []AppRow
}

// PasswordProps feeds /account/password.
type PasswordProps struct {
	Console Console
	Errors  FieldErrors
}
