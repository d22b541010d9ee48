package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/oauth"
)

// ServeHTTP handles every method on /mcp/{route} and /mcp/{route}/{rest...}.
// Order matters: Origin first (TR-2), then CORS preflight without auth, then
// the route, then the token (RS-10: nothing reaches the upstream before).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("route")
	id := peekRPCID(r) // for the gateway's own JSON-RPC errors
	if o := r.Header.Get("Origin"); o != "" && !g.originAllowed(o) {
		rpcError(w, http.StatusForbidden, id, -32000, "Origin not allowed.")
		return
	}
	g.setCORS(w, r)
	// The gateway answers for the issuer's host only (DNS rebinding, and
	// upstreams or caches keyed by Host): RFC 9110 §15.5.20.
	if !g.ownHost(r.Host) {
		rpcError(w, http.StatusMisdirectedRequest, id, -32600, "This server does not serve that host name.")
		return
	}
	// MCP needs no protocol upgrade; a tunnel would carry messages past
	// every check below (step-up, sessions, revocation).
	if r.Header.Get("Upgrade") != "" {
		rpcError(w, http.StatusBadRequest, id, -32600, "Protocol upgrades are not supported.")
		return
	}
	// A path below the route must stay below the upstream's path, however
	// a server on another stack decodes it (the mux matched the escaped form).
	if p := r.PathValue("rest"); p != "" && !safeSubpath(r.URL.EscapedPath()) {
		rpcError(w, http.StatusBadRequest, id, -32600, "The path is not valid.")
		return
	}
	if r.Method == http.MethodOptions {
		g.preflight(w, r)
		return
	}
	e, err := g.route(ctx, name)
	if errors.Is(err, oauth.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "No MCP server is published at this URL."})
		return
	}
	if err != nil {
		g.log.ErrorContext(ctx, "gateway: load route", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	sw := &statusWriter{ResponseWriter: w, saved: w.Header().Clone()}
	w = sw
	if g.cfg.Metrics != nil {
		defer g.count(name, sw)
	}
	scope := strings.Join(e.route.BaseScopes(), " ")
	// The query is read exactly as the upstream will read it: a malformed
	// one (e.g. ';' separators, which Go drops but other servers honour),
	// a session parameter spelled in another case, or several session
	// headers could carry a session past the ownership check below.
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || ambiguousSession(q, r.Header.Values("Mcp-Session-Id")) || sessionHeaderVariant(r.Header) {
		rpcError(w, http.StatusBadRequest, id, -32600, "The request's query string or session header is malformed.")
		return
	}
	// RS-12: tokens only in the header; a query token is refused outright.
	if q.Has("access_token") {
		g.challenge(w, http.StatusBadRequest, name, "invalid_request", "Send the access token in the Authorization header.", scope)
		return
	}
	// Two Authorization headers: which one counts depends on the server
	// reading them (RFC 6750 §2.1 allows one credential).
	if len(r.Header.Values("Authorization")) > 1 {
		g.challenge(w, http.StatusBadRequest, name, "invalid_request", "Send exactly one Authorization header.", scope)
		return
	}
	raw, ok := bearer(r)
	if !ok {
		g.challenge(w, http.StatusUnauthorized, name, "", "", scope)
		return
	}
	claims, user, err := g.verify(ctx, raw, name)
	if errors.Is(err, errBadToken) {
		g.log.InfoContext(ctx, "gateway: token refused", slog.String("route", name), slog.String("reason", err.Error()))
		g.challenge(w, http.StatusUnauthorized, name, "invalid_token", "The access token is invalid, expired, revoked or for another resource.", scope)
		return
	}
	if err != nil {
		g.log.ErrorContext(ctx, "gateway: verify token", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	// Policy: who may use this route. A readable 403, not a token error (RS-11).
	if !e.route.Allows(user) {
		g.log.InfoContext(ctx, "gateway: policy denied", slog.String("route", name), slog.String("user_id", claims.Subject))
		g.challenge(w, http.StatusForbidden, name, "", "Your account may not use this MCP server. Ask an administrator for access.", "")
		return
	}
	// RS-5: step-up for particular methods or tools.
	need, err := neededScopes(r, e.route.StepUp)
	switch {
	case errors.Is(err, errBodyTooLarge):
		rpcError(w, http.StatusRequestEntityTooLarge, id, -32600, "The request is too large.")
		return
	case err != nil:
		g.log.InfoContext(ctx, "gateway: body refused on a step-up route", slog.String("route", name), slog.String("reason", err.Error()))
		rpcError(w, http.StatusBadRequest, id, -32700, "The request body must be plain, uncompressed JSON-RPC.")
		return
	}
	if lack := missing(need, claims.Scopes()); len(lack) > 0 {
		g.log.InfoContext(ctx, "gateway: step-up required", slog.String("route", name), slog.String("user_id", claims.Subject), slog.String("needed", strings.Join(lack, " ")))
		g.challenge(w, http.StatusForbidden, name, "insufficient_scope", "This request needs more permissions: "+strings.Join(lack, " ")+".", stepUpScope(claims.Scopes(), need))
		return
	}
	// RS-15, TR-10: a session belongs to the user who created it; an unknown
	// or foreign id is "not found", so the client re-initializes. Legacy
	// HTTP+SSE sessions travel in the query and follow the same rule (TR-12).
	sessions := legacyKeys(q)
	if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
		sessions = append(sessions, sid)
	}
	for _, sid := range sessions {
		owner, known, err := g.sessionOwner(ctx, name, sid)
		if err != nil {
			g.log.ErrorContext(ctx, "gateway: session lookup", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		if !known || owner != claims.Subject {
			rpcError(w, http.StatusNotFound, id, -32001, "Session not found.")
			return
		}
	}
	rest := ""
	if p := r.PathValue("rest"); p != "" {
		rest = "/" + p
	}
	// A revocation of this token (its grant, user or client) ends the
	// request even while it streams.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer g.streams.track(claims, cancel)()
	e.proxy.rp.ServeHTTP(w, r.WithContext(withProxyInfo(ctx, proxyInfo{route: name, user: claims.Subject, rest: rest, base: e.proxy.target.Path, rpcID: id})))
}

// safeSubpath reports whether an escaped request path is one every
// upstream reads the same way: decoded once and twice (servers that decode
// again see %252e%252e as ..), no segment is a dot segment, and none holds
// a backslash (IIS and Windows paths), a ';' (path parameters: Tomcat's
// ..;/), a control character or invalid UTF-8 (overlong dots such as
// %c0%ae).
func safeSubpath(escaped string) bool {
	once, err := url.PathUnescape(escaped)
	if err != nil {
		return false
	}
	twice, err := url.PathUnescape(once)
	if err != nil {
		twice = once // a lone % after one decoding is data, not an escape
	}
	for _, p := range []string{once, twice} {
		if !utf8.ValidString(p) || strings.ContainsAny(p, "\\;") {
			return false
		}
		for _, r := range p {
			if r < 0x20 || r == 0x7f {
				return false
			}
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				return false
			}
		}
	}
	return true
}

// statusWriter remembers the final status for the metrics and keeps the
// gateway's own headers: an upstream 1xx (ReverseProxy relays it, then
// clears the header map) is dropped and the saved headers (CORS, security,
// request ID) are restored. Unwrap keeps http.ResponseController
// (flushing streams) working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	saved  http.Header
}

func (s *statusWriter) WriteHeader(code int) {
	if code < 200 {
		return // informational responses are not relayed
	}
	if s.status == 0 {
		s.status = code
		h := s.ResponseWriter.Header()
		for k, v := range s.saved {
			if len(h[k]) == 0 {
				h[k] = v
			}
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// count records a request on a known route; an error is any refusal or
// failure except the 401 that starts every client's discovery.
func (g *Gateway) count(route string, sw *statusWriter) {
	g.cfg.Metrics.Add(route, oauth.MetricGatewayRequests, 1)
	if sw.status >= 400 && sw.status != http.StatusUnauthorized {
		g.cfg.Metrics.Add(route, oauth.MetricGatewayErrors, 1)
	}
}
