// Package demo is a small MCP server for trying Latchkey end to end. It
// serves a few tools (echo, add, count_slowly, delete_note, whoami) over
// Streamable HTTP with the go-sdk, keeps stateful sessions, and records
// stream events so that a client can resume with Last-Event-ID.
//
// The server has no authentication of its own: it is meant to sit behind
// the gateway on a loopback address (see [Listen]).
package demo

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// Name is the implementation name the server reports to clients.
	Name = "latchkey-demo"

	// UserHeader is the request header whose value the whoami tool returns.
	// The gateway is expected to set it on requests it forwards.
	UserHeader = "X-Latchkey-User"

	// SessionProtocolVersion is the MCP revision the demo speaks: the newest
	// one with Mcp-Session-Id sessions and Last-Event-ID resumption. The
	// go-sdk v1.8.0 stateful handler does not serve the sessionless
	// 2026-07-28 revision, so a client that tries it first (as go-sdk v1.8.0
	// clients do, with a server/discover POST) falls back to initialize with
	// this version.
	SessionProtocolVersion = "2025-11-25"

	version = "0.1.0"

	// sessionIdleTimeout closes sessions that a client abandoned without a
	// DELETE, so a long-running demo does not collect them.
	sessionIdleTimeout = 30 * time.Minute
)

// NewServer returns a Streamable HTTP handler for the demo MCP server. Each
// call builds a fresh server with its own sessions and in-memory event store.
// A nil log discards the server's log output.
func NewServer(log *slog.Logger) http.Handler {
	log = orDiscard(log)
	return newHandler(newMCPServer(log), log)
}

// newMCPServer builds the MCP server and registers the demo tools.
func newMCPServer(log *slog.Logger) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{
		Name:    Name,
		Title:   "Latchkey demo",
		Version: version,
	}, &mcp.ServerOptions{
		Instructions: "A demo server for Latchkey: echo, add, count_slowly (progress), delete_note, whoami.",
		Logger:       log,
	})
	registerTools(s, log)
	return s
}

// newHandler serves s over Streamable HTTP. Sessions are stateful (the
// default), so an initialize response carries Mcp-Session-Id; the event
// store lets a client resume an interrupted SSE stream with Last-Event-ID.
// (Stateless mode would serve 2026-07-28 instead, without sessions, GET,
// DELETE or resumption.)
// The SDK's DNS-rebinding protection stays on: on a loopback listener it
// rejects a non-loopback Host header, so a proxy must send the upstream's
// own host. A resumption of a stream that has ended with nothing left to
// replay is answered 204 (see [endFinishedResumptions]).
func newHandler(s *mcp.Server, log *slog.Logger) http.Handler {
	return endFinishedResumptions(mcp.NewStreamableHTTPHandler(
		func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{
			EventStore:     mcp.NewMemoryEventStore(nil),
			SessionTimeout: sessionIdleTimeout,
			Logger:         log,
		},
	))
}

// orDiscard returns log, or a logger that drops everything when log is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// NewSSEServer returns the same tools over the legacy HTTP+SSE transport of
// MCP 2024-11-05 (GET opens a stream whose "endpoint" event names the
// ?sessionid= URL to POST to), for testing the gateway against old servers.
func NewSSEServer(log *slog.Logger) http.Handler {
	log = orDiscard(log)
	s := newMCPServer(log)
	return mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return s }, nil)
}
