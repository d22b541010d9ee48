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
		if slices.Contains(legacySessionParams[:], k) {
			continue
		}
		// PHP reads "session id", "session.id" and " session_id" as
		// session_id (spaces, dots and a first "[" become "_", leading
		// spaces go).
		php := strings.TrimLeft(k, " ")
		if i := strings.IndexByte(php, '['); i >= 0 {
			php = php[:i] + "_" + php[i+1:]
		}
		php = strings.NewReplacer(" ", "_", ".", "_").Replace(php)
		if php != k && slices.ContainsFunc(legacySessionParams[:], func(p string) bool { return strings.EqualFold(php, p) }) {
			return true
		}
		lower := strings.ToLower(k)
		for _, p := range legacySessionParams {
			// SESSIONID (another case), or sessionId[]=x / sessionId.a=x,
			// which qs-style parsers (Express) read as the parameter.
			rest, prefixed := strings.CutPrefix(lower, strings.ToLower(p))
			if strings.EqualFold(k, p) || (prefixed && strings.ContainsAny(rest, "[].")) {
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
	return &endpointRewriter{src: src, br: bufio.NewReaderSize(src, maxEndpointLine), fix: fix}
}

// maxEndpointLine bounds a line read while looking for the endpoint event;
// a longer one means this is not a legacy stream and it passes through.
const maxEndpointLine = 16 << 10

func (e *endpointRewriter) Read(p []byte) (int, error) {
	if e.out.Len() > 0 {
		return e.out.Read(p)
	}
	if e.done {
		return e.br.Read(p)
	}
	// The first event decides: an "endpoint" event is rewritten, anything
	// else means this is not a legacy stream and everything passes through.
	var event []string
	for {
		raw, err := e.br.ReadSlice('\n')
		line := string(raw)
		if errors.Is(err, bufio.ErrBufferFull) || len(event) > 32 {
			e.done = true
			for _, l := range event {
				e.out.WriteString(l + "\n")
			}
			e.out.WriteString(line)
			return e.out.Read(p)
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
	isEndpoint, onlyComments := false, true
	for _, l := range event {
		if l == "event: endpoint" || l == "event:endpoint" {
			isEndpoint = true
		}
		onlyComments = onlyComments && strings.HasPrefix(l, ":")
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
	e.done = !onlyComments // only the first real event is ever rewritten
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
