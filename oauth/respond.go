package oauth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
)

// writeJSON writes v with the no-store headers that token, registration and
// introspection responses require (RFC 6749 §5.1, LX-11).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the RFC 6749 §5.2 error response.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// writeError logs err once and writes it as an RFC 6749 §5.2 JSON error.
// invalid_client is 401 and carries a Basic challenge when Basic was tried.
func (p *Provider) writeError(ctx context.Context, w http.ResponseWriter, err error) {
	e := AsError(err)
	p.log.LogAttrs(ctx, e.LogLevel(), "oauth error", slog.Any("error", e))
	if e.BasicChallenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="latchkey", charset="UTF-8"`)
	}
	writeJSON(w, e.Status, errorBody{Error: e.Code, ErrorDescription: wireDescription(e.Description)})
}
