package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// upstreamProxy forwards to one route's upstream through a Transport built
// once for it.
type upstreamProxy struct {
	rp     *httputil.ReverseProxy
	target *url.URL
}

// UserHeader tells the upstream which Latchkey user (token subject) is calling.
const UserHeader = "X-Latchkey-User"

// proxyInfoKey carries the route and user of a proxied request to
// ModifyResponse, which binds new MCP sessions to that user.
type proxyInfoKey struct{}

type proxyInfo struct {
	route string
	user  string
	rest  string
	base  string // the route's upstream path
	rpcID json.RawMessage
}

func (g *Gateway) newUpstreamProxy(r *oauth.Route) (*upstreamProxy, error) {
	target, err := url.Parse(r.Upstream)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("gateway: route %s: bad upstream %q", r.Name, r.Upstream)
	}
	transport := &http.Transport{
		Proxy:                 nil, // upstreams are reached directly, never through the environment's proxy
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// No ResponseHeaderTimeout: a tools/call may legitimately take long,
		// and SSE streams have no end (TR-5).
	}
	// The upstream's own credential (PX-7), unsealed once per proxy build.
	var credName, credValue string
	if r.UpstreamHeaderName != "" {
		v, err := g.secrets.Open(r.UpstreamHeaderSealed, oauth.UpstreamHeaderAAD(r.Name))
		if err != nil {
			return nil, fmt.Errorf("gateway: route %s: unseal upstream header: %w", r.Name, err)
		}
		credName, credValue = r.UpstreamHeaderName, string(v)
	}
	credKey := ""
	if credName != "" {
		credKey = headerKey(credName)
	}
	p := &upstreamProxy{target: target}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rewrite(pr, target, credKey)
			// The host and scheme the client used are the issuer's, as
			// configured; the client's Host header is not repeated upstream.
			pr.Out.Header.Set("X-Forwarded-Host", g.public.Host)
			pr.Out.Header.Set("X-Forwarded-Proto", g.public.Scheme)
			if credName != "" {
				pr.Out.Header.Set(credName, credValue)
			}
		},
		Transport:      transport,
		FlushInterval:  -1, // stream SSE and JSON unbuffered (TR-5)
		ModifyResponse: g.modifyResponse,
		ErrorHandler:   g.upstreamError,
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	return p, nil
}

// rewrite maps /mcp/{route}[/rest] onto the upstream URL. Each header change
// has its reason:
func rewrite(pr *httputil.ProxyRequest, target *url.URL, credKey string) {
	info, _ := pr.In.Context().Value(proxyInfoKey{}).(proxyInfo)
	out := pr.Out
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	out.URL.Path, out.URL.RawPath = target.Path+info.rest, ""
	out.URL.RawQuery = pr.In.URL.RawQuery
	if target.RawQuery != "" {
		// The operator's parameters win: a client cannot repeat one of them
		// for servers that read the last value.
		fixed, _ := url.ParseQuery(target.RawQuery)
		client, _ := url.ParseQuery(pr.In.URL.RawQuery) // validated in ServeHTTP
		for k := range fixed {
			client.Del(k)
		}
		out.URL.RawQuery = target.RawQuery
		if extra := client.Encode(); extra != "" {
			out.URL.RawQuery += "&" + extra
		}
	}
	out.Host = target.Host
	h := out.Header
	// In every spelling a CGI/WSGI upstream would merge (case, "_" for "-"):
	// the client's token (PX-7), Latchkey's session cookie, Origin
	// (validated here, TR-2) and Referer, the identity header, any header
	// naming a client address or host (set below by the gateway alone), and
	// the route's own credential header, which only the gateway sets.
	stripClientHeaders(h, credKey)
	// The authenticated user, for upstreams that want it.
	h.Set(UserHeader, info.user)
	// Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id, Accept and
	// Content-Type pass unchanged: the upstream needs them (TR-9..TR-11).
	pr.SetXForwarded()
}

// modifyResponse binds new sessions to the user and keeps upstream cookies
// away from the browser (they would be set on Latchkey's origin).
func (g *Gateway) modifyResponse(resp *http.Response) error {
	// Headers that would act on Latchkey's own origin, or clash with the
	// gateway's CORS, are the gateway's business, not the upstream's.
	for _, h := range []string{"Set-Cookie", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
		"Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers",
		"Access-Control-Max-Age", "Alt-Svc", "Strict-Transport-Security", "Clear-Site-Data", "WWW-Authenticate"} {
		resp.Header.Del(h)
	}
	// An upstream refusing Latchkey's own credential is a gateway problem,
	// not the client's token: a 401 here would send clients re-authorizing.
	if resp.StatusCode == http.StatusUnauthorized {
		info, _ := resp.Request.Context().Value(proxyInfoKey{}).(proxyInfo)
		g.log.WarnContext(resp.Request.Context(), "gateway: upstream refused its credential", slog.String("route", info.route))
		_ = resp.Body.Close()
		b, _ := json.Marshal(rpcErrorBody(info.rpcID, -32603, "The MCP server behind this route refused the gateway's credentials."))
		body := string(b)
		resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
		resp.Header = http.Header{"Content-Type": {"application/json"}}
		resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		return nil
	}
	info, _ := resp.Request.Context().Value(proxyInfoKey{}).(proxyInfo)
	sid := resp.Header.Get("Mcp-Session-Id")
	ctx := resp.Request.Context()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// A GET stream outside any Streamable HTTP session is the legacy
		// HTTP+SSE transport: its endpoint event needs rewriting (TR-12).
		if resp.Request.Method == http.MethodGet && sid == "" && resp.Request.Header.Get("Mcp-Session-Id") == "" {
			reqURL, base := resp.Request.URL, info.base
			resp.Body = newEndpointRewriter(resp.Body, func(data string) (string, error) {
				u, err := g.legacyEndpoint(ctx, info, reqURL, base, data)
				if err != nil {
					g.log.WarnContext(ctx, "gateway: legacy SSE endpoint not published", slog.String("route", info.route), slog.String("error", err.Error()))
				}
				return u, err
			})
		}
		if g.cfg.KeepAlive > 0 {
			resp.Body = newKeepAliveBody(resp.Body, g.cfg.KeepAlive, g.draining)
			// Comments change the length: the stream is sent chunked.
			resp.Header.Del("Content-Length")
			resp.ContentLength = -1
		}
	}
	switch {
	case resp.Request.Method == http.MethodDelete && resp.StatusCode < 300:
		g.endSession(ctx, info.route, resp.Request.Header.Get("Mcp-Session-Id"))
	case sid != "" && resp.StatusCode < 300:
		// An upstream that hands one user another's session id is refused.
		return g.bindSession(ctx, info.route, sid, info.user)
	}
	return nil
}

// upstreamError answers 502 without internal detail; a JSON-RPC request gets
// a JSON-RPC error body.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	g.log.WarnContext(r.Context(), "upstream unavailable", "error", err)
	info, _ := r.Context().Value(proxyInfoKey{}).(proxyInfo)
	rpcError(w, http.StatusBadGateway, info.rpcID, -32603, "The MCP server behind this route is unavailable.")
}

func withProxyInfo(ctx context.Context, info proxyInfo) context.Context {
	return context.WithValue(ctx, proxyInfoKey{}, info)
}
