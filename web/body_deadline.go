package web

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultBodyReadTimeout bounds how long a client may take to send a
// request body.
const DefaultBodyReadTimeout = 30 * time.Second

// bodyDeadline bounds the reading of a request body on every
// non-streaming endpoint: a body sent at a byte a second (slowloris on
// /token) is cut off after d. The deadline is set only while a body is
// being read and cleared at its end; the gateway (/mcp/…), whose responses
// stream, is left out: a read deadline on its connection interferes with
// the proxied stream (a server-wide ReadTimeout would cancel SSE streams
// outright). Headers are bounded by the server's ReadHeaderTimeout.
func bodyDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 && !strings.HasPrefix(r.URL.Path, "/mcp/") {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(d)); err == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, clear: func() { _ = rc.SetReadDeadline(time.Time{}) }}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody clears the read deadline once the body has been read to
// its end.
type deadlineBody struct {
	io.ReadCloser
	clear func()
	done  bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.clear()
	}
	return n, err
}
