package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Legacy HTTP+SSE (MCP 2024-11-05, TR-12): the client GETs an SSE stream
// whose first event, "endpoint", names the URL to POST messages to, with the
// session in a query parameter. The gateway rewrites that URL onto the route
// and binds the session parameter to the user, exactly like MCP-Session-Id.

// legacySessionParams are the query parameters legacy servers use for the
// session (the Go SDK: sessionid; the TypeScript SDK: sessionId).
var legacySessionParams = [...]string{"sessionid", "sessionId", "session_id"}

// ambiguousSession reports a session that different servers could read
// differently: a session parameter in another case than the ones checked,
// or more than one Mcp-Session-Id header.
func ambiguousSession(q url.Values, headers []string) bool {
	if len(headers) > 1 {
		return true
	}
	for k := range q {
		for _, p := range legacySessionParams {
			if strings.EqualFold(k, p) && !slices.Contains(legacySessionParams[:], k) {
				return true
			}
		}
	}
	return false
}

// legacyKeys returns the binding keys of the legacy session ids a request
// URL carries, prefixed to keep them apart from MCP-Session-Id values.
func legacyKeys(q url.Values) []string {
	var keys []string
	for _, p := range legacySessionParams {
		for _, id := range q[p] {
			keys = append(keys, "legacy:"+id)
		}
	}
	return keys
}

// errLegacyEndpoint stops a stream whose endpoint cannot be published safely.
var errLegacyEndpoint = errors.New("gateway: legacy endpoint outside the route's upstream")

// endpointRewriter relays a legacy SSE stream, rewriting the data of the
// first "endpoint" event; everything after it passes through unchanged.
type endpointRewriter struct {
	src  io.ReadCloser
	br   *bufio.Reader
	out  bytes.Buffer
	done bool
	fix  func(data string) (string, error)
}

func newEndpointRewriter(src io.ReadCloser, fix func(string) (string, error)) *endpointRewriter {
	return &endpointRewriter{src: src, br: bufio.NewReader(src), fix: fix}
}

func (e *endpointRewriter) Read(p []byte) (int, error) {
	if e.out.Len() > 0 {
		return e.out.Read(p)
	}
	if e.done {
		return e.br.Read(p)
	}
	// Before the endpoint event: read whole events (bounded lines).
	var event []string
	for {
		line, err := e.br.ReadString('\n')
		if len(line) > 8<<10 {
			return 0, errLegacyEndpoint
		}
		if err != nil {
			return 0, err
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed != "" {
			event = append(event, trimmed)
			continue
		}
		if len(event) == 0 {
			e.out.WriteString(line)
			return e.out.Read(p)
		}
		if err := e.emit(event); err != nil {
			return 0, err
		}
		return e.out.Read(p)
	}
}

// emit writes one event, rewriting it when it is the endpoint event.
func (e *endpointRewriter) emit(event []string) error {
	isEndpoint := false
	for _, l := range event {
		if l == "event: endpoint" || l == "event:endpoint" {
			isEndpoint = true
		}
	}
	for _, l := range event {
		if isEndpoint && strings.HasPrefix(l, "data:") {
			fixed, err := e.fix(strings.TrimPrefix(strings.TrimPrefix(l, "data:"), " "))
			if err != nil {
				return err
			}
			l = "data: " + fixed
		}
		e.out.WriteString(l + "\n")
	}
	e.out.WriteString("\n")
	e.done = e.done || isEndpoint
	return nil
}

func (e *endpointRewriter) Close() error { return e.src.Close() }

// legacyEndpoint maps the upstream's endpoint URL onto the route and binds
// its session parameter to the user. reqURL is the upstream URL the stream
// was requested from; base the route's upstream path.
func (g *Gateway) legacyEndpoint(ctx context.Context, info proxyInfo, reqURL *url.URL, base, data string) (string, error) {
	ref, err := url.Parse(strings.TrimSpace(data))
	if err != nil {
		return "", errLegacyEndpoint
	}
	abs := reqURL.ResolveReference(ref)
	if abs.Host != reqURL.Host || abs.Scheme != reqURL.Scheme {
		return "", errLegacyEndpoint
	}
	base = strings.TrimRight(base, "/")
	var rest string
	switch {
	case abs.Path == base:
	case strings.HasPrefix(abs.Path, base+"/"):
		rest = abs.Path[len(base):]
	default:
		return "", errLegacyEndpoint
	}
	keys := legacyKeys(abs.Query())
	if len(keys) == 0 {
		return "", errLegacyEndpoint // an unbound endpoint could be used by anyone
	}
	for _, k := range keys {
		if err := g.bindSession(ctx, info.route, k, info.user); err != nil {
			return "", err
		}
	}
	return g.resourceURL(info.route) + (&url.URL{Path: rest}).EscapedPath() + "?" + abs.RawQuery, nil
}
