package web

import "net/http"

// routes is the single route table (LX-10: AS endpoints at the issuer root).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.provider
	hf := func(f http.HandlerFunc) http.Handler { return f }

	// Public OAuth endpoints that browser-based MCP clients call cross-origin:
	// CORS without credentials, outside the CSRF origin check.
	public := func(pattern string, h http.Handler) {
		mux.Handle(pattern, cors(h))
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		public("GET "+path, hf(p.ServeMetadata))
		public("OPTIONS "+path, hf(p.ServeMetadata))
	}
	public("GET /jwks.json", hf(p.ServeJWKS))
	public("OPTIONS /jwks.json", hf(p.ServeJWKS))
	public("POST /token", noStore(hf(p.ServeToken)))
	public("OPTIONS /token", hf(p.ServeToken))
	public("POST /introspect", noStore(hf(p.ServeIntrospect)))
	public("OPTIONS /introspect", hf(p.ServeIntrospect))
	public("POST /revoke", noStore(hf(p.ServeRevoke)))
	public("OPTIONS /revoke", hf(p.ServeRevoke))
	for _, m := range []string{"GET", "POST", "OPTIONS"} {
		public(m+" /userinfo", noStore(hf(p.ServeUserInfo)))
	}
	public("POST /register", noStore(hf(p.ServeRegister)))
	public("OPTIONS /register", hf(p.ServeRegister))
	for _, m := range []string{"GET", "PUT", "DELETE", "OPTIONS"} {
		public(m+" /register/{client_id}", noStore(hf(p.ServeClientConfiguration)))
	}

	// Browser pages of the flow: CSP with nonce, frame-ancestors 'none'; every
	// POST passes the Origin/Sec-Fetch-Site check and a CSRF token.
	cop := http.NewCrossOriginProtection()
	mux.Handle("GET /authorize", s.page(hf(s.authorize)))
	mux.Handle("POST /authorize", s.page(hf(s.authorize)))
	mux.Handle("GET /login", s.page(hf(s.showLogin)))
	mux.Handle("POST /login", cop.Handler(s.page(hf(s.login))))
	mux.Handle("POST /logout", cop.Handler(s.page(hf(s.logout))))
	mux.Handle("GET /consent", s.page(hf(s.showConsent)))
	mux.Handle("POST /consent", cop.Handler(s.page(hf(s.decideConsent))))
	mux.Handle("GET /{$}", s.page(hf(s.home)))

	// Console. /admin is for administrators: the middleware guards the whole
	// sub-router (and checks CSRF on every POST); /account for any user.
	admin := http.NewServeMux()
	admin.HandleFunc("GET /admin", s.dashboard)
	admin.HandleFunc("GET /admin/clients", s.listClients)
	admin.HandleFunc("GET /admin/clients/new", s.newClientForm)
	admin.HandleFunc("POST /admin/clients", s.createClient)
	admin.HandleFunc("GET /admin/client", s.showClient)
	admin.HandleFunc("POST /admin/client/disable", s.setClientDisabled(true))
	admin.HandleFunc("POST /admin/client/enable", s.setClientDisabled(false))
	admin.HandleFunc("POST /admin/client/delete", s.deleteClient)
	admin.HandleFunc("GET /admin/trust", s.showTrust)
	admin.HandleFunc("POST /admin/trust/mode", s.setTrustMode)
	admin.HandleFunc("POST /admin/trust/add", s.addTrustDomain)
	admin.HandleFunc("POST /admin/trust/remove", s.removeTrustDomain)
	admin.HandleFunc("GET /admin/routes", s.listRoutes)
	admin.HandleFunc("GET /admin/routes/new", s.newRouteForm)
	admin.HandleFunc("POST /admin/routes", s.createRoute)
	admin.HandleFunc("GET /admin/routes/{name}", s.editRouteForm)
	admin.HandleFunc("POST /admin/routes/{name}", s.updateRoute)
	admin.HandleFunc("POST /admin/routes/{name}/test", s.testRoute)
	admin.HandleFunc("POST /admin/routes/{name}/delete", s.deleteRoute)
	admin.HandleFunc("GET /admin/tokens", s.listTokens)
	admin.HandleFunc("POST /admin/tokens/revoke", s.revokeGrant)
	admin.HandleFunc("POST /admin/tokens/revoke-all", s.revokeAll)
	admin.HandleFunc("POST /admin/tokens/introspect", s.introspectToken)
	admin.HandleFunc("GET /admin/users", s.listUsers)
	admin.HandleFunc("POST /admin/users", s.createUser)
	admin.HandleFunc("POST /admin/users/{name}/{action}", s.userAction)
	admin.HandleFunc("GET /admin/keys", s.listKeys)
	admin.HandleFunc("POST /admin/keys/rotate", s.rotateKeys)
	admin.HandleFunc("GET /admin/audit", s.showAudit)
	mux.Handle("/admin", cop.Handler(s.page(s.signedIn(true, admin))))
	mux.Handle("/admin/", cop.Handler(s.page(s.signedIn(true, admin))))

	account := http.NewServeMux()
	account.HandleFunc("GET /account", s.account)
	account.HandleFunc("POST /account/apps/revoke", s.revokeApp)
	account.HandleFunc("GET /account/password", s.passwordForm)
	account.HandleFunc("POST /account/password", s.changePassword)
	mux.Handle("/account", cop.Handler(s.page(s.signedIn(false, account))))
	mux.Handle("/account/", cop.Handler(s.page(s.signedIn(false, account))))

	// MCP gateway (RS-*, TR-*): every method; the gateway checks Origin,
	// answers preflights and authorizes each request itself.
	mux.Handle("/mcp/{route}", s.gateway)
	mux.Handle("/mcp/{route}/{rest...}", s.gateway)
	public("GET /.well-known/oauth-protected-resource/mcp/{route}", hf(s.gateway.ServeRouteMetadata))
	public("OPTIONS /.well-known/oauth-protected-resource/mcp/{route}", hf(s.gateway.ServeRouteMetadata))
	public("GET /.well-known/oauth-protected-resource", hf(s.gateway.ServeRootMetadata))
	public("OPTIONS /.well-known/oauth-protected-resource", hf(s.gateway.ServeRootMetadata))

	mux.Handle("GET /static/", s.assets.Handler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.prometheus)

	return s.observe(bodyDeadline(s.cfg.BodyReadTimeout, securityHeaders(mux)))
}
