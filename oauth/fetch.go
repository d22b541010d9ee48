package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The only two ways to loosen the fetcher, for tests and local experiments
// on one machine. Environment only: no flag or config-file form exists.
const (
	EnvInsecureLoopbackFetch = "LATCHKEY_TEST_INSECURE_LOOPBACK_FETCH"
	EnvFetchCAFile           = "LATCHKEY_TEST_FETCH_CA_FILE"
)

// Fetch limits.
const (
	DefaultFetchMaxBytes   = 64 << 10
	defaultConnectTimeout  = 5 * time.Second
	defaultFetchTimeout    = 10 * time.Second
	maxFetchAddressesTried = 4
)

// FetchPolicy configures the SSRF-safe client.
type FetchPolicy struct {
	// AllowLoopback lets fetches reach 127/8 and ::1 (and nothing else
	// that is blocked). Set only from EnvInsecureLoopbackFetch.
	AllowLoopback bool
	// ExtraCAs are trusted besides the system roots; CAFile names their
	// source for reporting. Set only from EnvFetchCAFile.
	ExtraCAs *x509.CertPool
	CAFile   string
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	ConnectTimeout time.Duration
	Timeout        time.Duration // the whole fetch, body included
}

// FetchPolicyFromEnv reads the two test switches. warnings says what was
// loosened, for serve's start-up log and /readyz.
func FetchPolicyFromEnv(getenv func(string) string) (FetchPolicy, []string, error) {
	var p FetchPolicy
	var warnings []string
	switch v := getenv(EnvInsecureLoopbackFetch); v {
	case "", "0", "false":
	case "1", "true":
		p.AllowLoopback = true
		warnings = append(warnings, EnvInsecureLoopbackFetch+" is set: outbound fetches may reach loopback addresses (test use only)")
	default:
		return p, nil, fmt.Errorf("%s=%q: want 1 or unset", EnvInsecureLoopbackFetch, v)
	}
	if f := getenv(EnvFetchCAFile); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return p, nil, fmt.Errorf("%s: %w", EnvFetchCAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return p, nil, fmt.Errorf("%s=%s: no PEM certificates", EnvFetchCAFile, f)
		}
		p.ExtraCAs, p.CAFile = pool, f
		warnings = append(warnings, EnvFetchCAFile+" is set: outbound fetches trust an extra CA (test use only)")
	}
	return p, warnings, nil
}

// FetchError is a refused or failed fetch. Reason is safe to show to the
// client that supplied the URL (it never contains a resolved address).
type FetchError struct {
	Reason string
	err    error
}

func (e *FetchError) Error() string {
	if e.err != nil {
		return "fetch: " + e.Reason + ": " + e.err.Error()
	}
	return "fetch: " + e.Reason
}

func (e *FetchError) Unwrap() error { return e.err }

func fetchErr(reason string, err error) error { return &FetchError{Reason: reason, err: err} }

// Fetcher is the one outbound HTTP client for URLs a client or an upstream
// influences (LX-8): https only; the host resolved, every address checked,
// and the connection made to a checked address (no rebinding window); no
// redirects, no proxy, TLS 1.2+, timeouts and a size cap.
type Fetcher struct {
	policy FetchPolicy
	client *http.Client
	// onDial, for tests, sees every address a connection is attempted to.
	onDial func(addr string)
}

// pinnedKey carries the checked addresses from Get to the dialer.
type pinnedKey struct{}

// NewFetcher builds the client.
func NewFetcher(p FetchPolicy) *Fetcher {
	if p.ConnectTimeout <= 0 {
		p.ConnectTimeout = defaultConnectTimeout
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultFetchTimeout
	}
	if p.Resolver == nil {
		p.Resolver = net.DefaultResolver
	}
	f := &Fetcher{policy: p}
	dialer := &net.Dialer{
		Timeout: p.ConnectTimeout,
		// The last word: whatever path led here, refuse a blocked address.
		// The socket layer may spell an IPv4 peer as ::ffff:a.b.c.d, so the
		// decision is made on the unmapped address (resolve pins unmapped
		// addresses; a mapped literal a client typed never gets this far).
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !addrAllowed(ap.Addr().Unmap(), p.AllowLoopback) {
				return fetchErr("the address is not public", nil)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy: nil, // never the environment's proxy
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			pinned, _ := ctx.Value(pinnedKey{}).([]netip.Addr)
			if len(pinned) == 0 {
				return nil, fetchErr("no checked address to connect to", nil)
			}
			var lastErr error
			for _, a := range pinned {
				target := net.JoinHostPort(a.String(), port)
				if f.onDial != nil {
					f.onDial(target)
				}
				c, err := dialer.DialContext(ctx, network, target)
				if err == nil {
					return c, nil
				}
				lastErr = err
			}
			return nil, lastErr
		},
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: p.ExtraCAs},
		TLSHandshakeTimeout:   p.ConnectTimeout,
		ResponseHeaderTimeout: p.Timeout,
		MaxIdleConns:          32,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true, // no decompression bombs
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   p.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // redirects are not followed (AS-11)
		},
	}
	return f
}

// Policy returns the fetcher's policy (for /readyz).
func (f *Fetcher) Policy() FetchPolicy { return f.policy }

// FetchResult is a fetched document.
type FetchResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// CheckURL validates a URL for fetching without resolving it.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fetchErr("the URL does not parse", nil)
	case u.Scheme != "https":
		return nil, fetchErr("only https URLs are fetched", nil)
	case u.User != nil:
		return nil, fetchErr("the URL must not contain user information", nil)
	case u.Hostname() == "":
		return nil, fetchErr("the URL has no host", nil)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fetchErr("the URL's port is not valid", nil)
		}
	}
	return u, nil
}

// Get fetches raw with GET. Only a 200 response is returned without error;
// the body is capped at limit bytes (DefaultFetchMaxBytes when 0).
func (f *Fetcher) Get(ctx context.Context, raw, accept string, limit int64) (*FetchResult, error) {
	if limit <= 0 {
		limit = DefaultFetchMaxBytes
	}
	u, err := CheckURL(raw)
	if err != nil {
		return nil, err
	}
	addrs, err := f.resolve(ctx, u.Hostname())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(context.WithValue(ctx, pinnedKey{}, addrs), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fetchErr("the URL does not parse", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "Latchkey")
	resp, err := f.client.Do(req)
	if err != nil {
		var fe *FetchError
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, fetchErr("the server could not be reached", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, fetchErr("the server answered with a redirect, which is not followed", nil)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fetchErr(fmt.Sprintf("the server answered HTTP %d", resp.StatusCode), nil)
	}
	if resp.ContentLength > limit {
		return nil, fetchErr(fmt.Sprintf("the document is larger than %d bytes", limit), nil)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fetchErr("reading the document failed", err)
	}
	if int64(len(body)) > limit {
		return nil, fetchErr(fmt.Sprintf("the document is larger than %d bytes", limit), nil)
	}
	return &FetchResult{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// resolve returns the host's addresses, refusing the host when any of them
// is blocked: a name that resolves to one private address among public
// ones is not trusted either.
//
// Go's resolver answers A records as IPv4-mapped IPv6 (::ffff:a.b.c.d),
// for /etc/hosts and DNS alike, so every answer is unmapped before the
// check: ::ffff:10.0.0.1 is judged as 10.0.0.1 (refused) and a public IPv4
// answer is accepted. An IPv4-mapped literal in the URL itself is refused:
// no client needs to spell an IPv4 address that way (LX-8).
func (f *Fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if a.Is4In6() || !addrAllowed(a, f.policy.AllowLoopback) {
			return nil, fetchErr("the address is not public", nil)
		}
		return []netip.Addr{a}, nil
	}
	if numericHost(host) {
		return nil, fetchErr("the host is a numeric address in a non-standard spelling", nil)
	}
	lctx, cancel := context.WithTimeout(ctx, f.policy.ConnectTimeout)
	defer cancel()
	addrs, err := f.policy.Resolver.LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fetchErr("the host name does not resolve", err)
	}
	for i, a := range addrs {
		a = a.Unmap()
		if !addrAllowed(a, f.policy.AllowLoopback) {
			return nil, fetchErr("the host name resolves to an address that is not public", nil)
		}
		addrs[i] = a
	}
	if len(addrs) > maxFetchAddressesTried {
		addrs = addrs[:maxFetchAddressesTried]
	}
	return addrs, nil
}
