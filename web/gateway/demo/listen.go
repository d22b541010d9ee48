package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// mountPath is where Listen serves the MCP endpoint.
	mountPath = "/mcp"

	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds stop: draining requests, then closing sessions.
	shutdownTimeout = 5 * time.Second
)

// listener is a running demo server, as started by Listen.
type listener struct {
	srv    *http.Server
	mcp    *mcp.Server
	cancel context.CancelFunc // cancels every request's context
	log    *slog.Logger
}

// Listen serves the demo server at /mcp on addr, which must resolve to a
// loopback address ("127.0.0.1:0" picks a free port), and returns the MCP
// endpoint URL, such as http://127.0.0.1:8090/mcp.
//
// The server runs until stop is called or ctx is done, whichever comes
// first; stop is safe to call more than once and returns once the server
// has shut down.
func Listen(ctx context.Context, addr string, log *slog.Logger) (url string, stop func(), err error) {
	log = orDiscard(log)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("demo: listen on %q: %w", addr, err)
	}
	// The demo has no authentication: never expose it beyond this machine.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return "", nil, fmt.Errorf("demo: listen on %q: not a loopback address", addr)
	}

	s := newMCPServer(log)
	mux := http.NewServeMux()
	mux.Handle(mountPath, newHandler(s, log))

	// Request contexts hang off base, so stop can end the long-lived SSE
	// responses that would otherwise keep Shutdown waiting.
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &listener{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout, // no WriteTimeout: SSE responses are long-lived
			BaseContext:       func(net.Listener) context.Context { return base },
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		mcp:    s,
		cancel: cancel,
		log:    log,
	}
	go l.serve(ln)

	stopOnce := sync.OnceFunc(l.stop)
	unwatch := context.AfterFunc(ctx, stopOnce)
	stop = func() {
		unwatch()
		stopOnce()
	}
	url = "http://" + ln.Addr().String() + mountPath
	log.Info("demo: MCP server listening", "url", url)
	return url, stop, nil
}

// serve runs the HTTP server on ln until it is shut down.
func (l *listener) serve(ln net.Listener) {
	if err := l.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		l.log.Error("demo: serve", "error", err)
	}
}

// stop ends open responses, shuts the HTTP server down and closes the MCP
// sessions, all within shutdownTimeout. A session closes once its in-flight
// tool calls return, so a count_slowly still running past the deadline
// finishes in the background.
func (l *listener) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	l.cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		l.log.Warn("demo: shutdown", "error", err)
		_ = l.srv.Close()
	}

	var wg sync.WaitGroup
	for ss := range l.mcp.Sessions() {
		wg.Go(func() { _ = ss.Close() })
	}
	closed := make(chan struct{})
	go func() {
		wg.Wait()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		l.log.Warn("demo: sessions still closing after shutdown", "error", ctx.Err())
	}
}
