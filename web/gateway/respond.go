package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
)

// setCORS lets browser clients (the MCP Inspector) call the gateway and read
// its challenges and session header (TR-10, TR-14, LX-9). Only allowed
// origins are echoed; credentials are never allowed (tokens travel in a header).
func (g *Gateway) setCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !g.originAllowed(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version")
}

// preflight answers OPTIONS without authentication.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id, Mcp-Method, Mcp-Name")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (g *Gateway) originAllowed(origin string) bool {
	return g.origins[strings.ToLower(strings.TrimRight(origin, "/"))]
}

// challenge writes a 401 or 403 with a Bearer challenge carrying
// resource_metadata (RFC 9728 §5.1), the scope (RFC 6750 §3, RS-3) and, when
// a token was sent, the error (LX-9).
func (g *Gateway) challenge(w http.ResponseWriter, status int, route, errCode, desc, scope string) {
	parts := []string{`resource_metadata="` + g.metadataURL(route) + `"`}
	if errCode != "" {
		parts = append(parts, `error="`+errCode+`"`)
	}
	if desc != "" {
		parts = append(parts, `error_description="`+desc+`"`)
	}
	if scope != "" {
		parts = append(parts, `scope="`+scope+`"`)
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(parts, ", "))
	body := map[string]string{"error": firstNonEmpty(errCode, "unauthorized")}
	if desc != "" {
		body["error_description"] = desc // absent rather than empty (RFC 6749 §5.2: OPTIONAL)
	}
	writeJSON(w, status, body)
}

// rpcError writes a JSON-RPC error response. JSON-RPC 2.0 §5 requires the
// id in every response: the request's, or null when it could not be read.
func rpcError(w http.ResponseWriter, status int, id json.RawMessage, code int, msg string) {
	writeJSON(w, status, rpcErrorBody(id, code, msg))
}

// rpcErrorBody is a JSON-RPC error response.
func rpcErrorBody(id json.RawMessage, code int, msg string) any {
	if len(id) == 0 {
		id = nullID
	}
	return struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcErrorObject  `json:"error"`
	}{"2.0", id, rpcErrorObject{code, msg}}
}

type rpcErrorObject struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
