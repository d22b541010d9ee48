package web

import (
	"context"
	"log/slog"
	"net/http"
)

// ctxKey types keep this package's context values private.
type requestIDKey struct{}
type nonceKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID middleware assigned, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withNonce(ctx context.Context, n string) context.Context {
	return context.WithValue(ctx, nonceKey{}, n)
}

func nonceFrom(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey{}).(string)
	return n
}

// logHandler adds the request ID found in the context to every record, so
// any package logging with a request's context gets correlated lines.
type logHandler struct{ slog.Handler }

// NewLogHandler wraps h so records logged with a request context carry request_id.
func NewLogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(a []slog.Attr) slog.Handler { return logHandler{h.Handler.WithAttrs(a)} }
func (h logHandler) WithGroup(n string) slog.Handler      { return logHandler{h.Handler.WithGroup(n)} }
