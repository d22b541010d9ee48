package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Client ID metadata documents (MCP 2025-11-25, draft-ietf-oauth-client-id-
// metadata-document): a client_id that is an https URL names a JSON document
// describing the client. AS-5..AS-12.

// Cache bounds for documents (AS-8): HTTP cache headers decide, within these.
const (
	cimdMinTTL      = time.Minute
	cimdMaxTTL      = 24 * time.Hour
	cimdDefaultTTL  = 5 * time.Minute
	cimdFailTTL     = 10 * time.Second // a failed fetch is not retried sooner
	cimdMaxBytes    = 16 << 10         // documents are small (~5 KB, AS-11)
	cimdCacheSize   = 4096
	cimdFetchBudget = 10 * time.Second
	// documentFetchesPerMinute (burst documentFetchBurst) bounds the new
	// documents one source may make this server fetch.
	documentFetchesPerMinute = 30
	documentFetchBurst       = 60
)

// IsURLClientID reports whether a client_id names a metadata document.
func IsURLClientID(id string) bool {
	return strings.HasPrefix(strings.ToLower(id), "https://") || strings.HasPrefix(strings.ToLower(id), "http://")
}

// CheckClientIDURL applies the draft's rules to a URL client_id: https, a
// host, a path other than "/", no fragment, no user information, no dot
// segments. The string is used exactly as sent (no normalization, AS-7).
func CheckClientIDURL(id string) (*url.URL, error) {
	u, err := url.Parse(id)
	switch {
	case err != nil:
		return nil, errors.New("the client_id URL does not parse")
	case u.Scheme != "https":
		return nil, errors.New("a URL client_id must use https")
	case u.Host == "" || u.Opaque != "":
		return nil, errors.New("the client_id URL has no host")
	case u.User != nil:
		return nil, errors.New("the client_id URL must not contain user information")
	case u.Fragment != "" || strings.Contains(id, "#"):
		return nil, errors.New("the client_id URL must not have a fragment")
	case u.Path == "" || u.Path == "/":
		return nil, errors.New("the client_id URL must have a path")
	}
	if _, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil || numericHost(u.Hostname()) {
		return nil, errors.New("the client_id URL's host must be a domain name, not an IP address")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") ||
			strings.EqualFold(seg, ".%2e") || strings.EqualFold(seg, "%2e.") {
			return nil, errors.New("the client_id URL must not contain dot segments")
		}
	}
	if _, err := CheckURL(id); err != nil {
		return nil, err
	}
	return u, nil
}

// clientDocument is the part of a metadata document Latchkey reads.
type clientDocument struct {
	ClientID string `json:"client_id"`
	ClientMetadata
}

// ParseClientDocument validates a fetched document for the URL it came
// from (AS-7, AS-9, AS-10) and returns the client it describes. strict is
// the redirect policy's strict mode (LX-3).
func ParseClientDocument(id string, body []byte, strict bool) (*Client, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("the document is not a JSON object")
	}
	var doc clientDocument
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("field %q has the wrong type", te.Field)
		}
		return nil, errors.New("the document is not valid JSON")
	}
	if dec.More() {
		return nil, errors.New("the document has data after the JSON object")
	}
	if doc.ClientID != id {
		return nil, fmt.Errorf("its client_id %q is not exactly the URL it was fetched from", Truncate(doc.ClientID, 200))
	}
	md := &doc.ClientMetadata
	if strings.TrimSpace(md.ClientName) == "" {
		return nil, errors.New("client_name is required")
	}
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = AuthNone // a document cannot carry a shared secret
	}
	switch md.TokenEndpointAuthMethod {
	case AuthNone:
		// As at registration: keys belong to private_key_jwt clients only.
		if md.JWKSURI != "" || md.JWKS != nil {
			return nil, errors.New("jwks and jwks_uri are only for token_endpoint_auth_method private_key_jwt")
		}
	case AuthPrivateKeyJWT:
		if (md.JWKSURI == "") == (md.JWKS == nil) {
			return nil, errors.New("private_key_jwt needs exactly one of jwks and jwks_uri")
		}
	case AuthClientSecretBasic, AuthClientSecretPost:
		return nil, fmt.Errorf("token_endpoint_auth_method %s needs a shared secret, which a metadata document cannot carry; use none or private_key_jwt", md.TokenEndpointAuthMethod)
	default:
		return nil, fmt.Errorf("token_endpoint_auth_method %q is not supported; use none or private_key_jwt", Truncate(md.TokenEndpointAuthMethod, 50))
	}
	if err := checkGrantAndRedirects(md, strict); err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return nil, errors.New(oe.Description)
		}
		return nil, err
	}
	jwks, err := clientJWKS(md)
	if err != nil {
		return nil, err
	}
	return &Client{
		ID: id, Name: md.ClientName, RedirectURIs: md.RedirectURIs, GrantTypes: md.GrantTypes,
		ResponseTypes: md.ResponseTypes, TokenEndpointAuthMethod: md.TokenEndpointAuthMethod, Scope: md.Scope,
		ClientURI: md.ClientURI, LogoURI: md.LogoURI, Contacts: md.Contacts, SoftwareID: md.SoftwareID,
		SoftwareVersion: md.SoftwareVersion, Source: SourceCIMD, JWKSURI: md.JWKSURI, JWKS: jwks,
	}, nil
}

// Truncate shortens s to at most n characters (runes, so UTF-8 stays
// valid), marking the cut with "…".
func Truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// cimdEntry is a cached document: a client or the reason it failed.
type cimdEntry struct {
	client  *Client
	keys    []jose.JSONWebKey // for jwks_uri documents
	err     error
	expires time.Time
	fetched time.Time
}

// cimdCall is one fetch in flight that later callers wait for.
type cimdCall struct {
	done  chan struct{}
	entry *cimdEntry
}

// cimdCache holds documents per URL and makes concurrent first requests
// for one URL share one fetch.
type cimdCache struct {
	mu       sync.Mutex
	entries  map[string]*cimdEntry
	inflight map[string]*cimdCall
	fetches  int // fetches started, for tests
}

func newCIMDCache() *cimdCache {
	return &cimdCache{entries: map[string]*cimdEntry{}, inflight: map[string]*cimdCall{}}
}

// ClientDocumentError is a metadata-document client that cannot be used;
// its message is safe to show (it names the URL's problem, never internals).
type ClientDocumentError struct {
	URL    string
	Reason string
}

func (e *ClientDocumentError) Error() string {
	return "The client's metadata document at " + e.URL + " cannot be used: " + e.Reason + "."
}

// metadataClient resolves a URL client_id: trust policy first (an
// untrusted host is never fetched), then the cache, then one shared fetch.
func (p *Provider) metadataClient(ctx context.Context, id string) (*Client, error) {
	if p.cfg.ClientMetadata == ClientMetadataOff {
		return nil, &ClientDocumentError{URL: id, Reason: "this server does not accept client ID metadata documents"}
	}
	u, err := CheckClientIDURL(id)
	if err != nil {
		return nil, &ClientDocumentError{URL: id, Reason: err.Error()}
	}
	trust, err := LoadTrustPolicy(ctx, p.store)
	if err != nil {
		return nil, err
	}
	if !trust.Allows(u.Hostname()) {
		return nil, &ClientDocumentError{URL: id, Reason: "the server's trust policy does not allow clients from " + u.Hostname()}
	}
	ip := requestIP(ctx)
	e := p.cimd.get(ctx, id, p.now, func(ctx context.Context) *cimdEntry {
		// Each new document costs an outbound fetch: a source may cause a
		// few per minute, so nobody can turn Latchkey into a crawler.
		if ip != "" {
			if ok, _ := p.fetchLimit.Allow(SourceKey(ip), p.now()); !ok {
				return &cimdEntry{err: &ClientDocumentError{URL: id, Reason: "too many new client documents were requested from your address; try again in a minute"}, expires: p.now()}
			}
		}
		return p.fetchClientDocument(ctx, id)
	})
	if e.err != nil {
		return nil, e.err
	}
	return p.rememberDocumentClient(ctx, e.client)
}

// get returns a fresh entry, fetching at most once per URL at a time.
func (c *cimdCache) get(ctx context.Context, id string, now func() time.Time, fetch func(context.Context) *cimdEntry) *cimdEntry {
	c.mu.Lock()
	if e, ok := c.entries[id]; ok && now().Before(e.expires) {
		c.mu.Unlock()
		return e
	}
	call, running := c.inflight[id]
	if !running {
		call = &cimdCall{done: make(chan struct{})}
		c.inflight[id] = call
		c.fetches++
	}
	c.mu.Unlock()
	if !running {
		// Detached from the first caller, so its cancellation does not fail
		// everyone waiting; bounded by the fetch budget.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cimdFetchBudget)
		call.entry = fetch(fctx)
		cancel()
		c.mu.Lock()
		if len(c.entries) >= cimdCacheSize {
			for k, e := range c.entries {
				if !now().Before(e.expires) || len(c.entries) >= cimdCacheSize {
					delete(c.entries, k)
				}
			}
		}
		call.entry.fetched = now()
		c.entries[id] = call.entry
		delete(c.inflight, id)
		c.mu.Unlock()
		close(call.done)
		return call.entry
	}
	select {
	case <-call.done:
		return call.entry
	case <-ctx.Done():
		return &cimdEntry{err: ctx.Err()}
	}
}

// forgetOlderThan drops an entry fetched more than age ago, so the next get
// fetches again; it reports whether it did.
func (c *cimdCache) forgetOlderThan(id string, age time.Duration, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.Sub(e.fetched) < age {
		return false
	}
	delete(c.entries, id)
	return true
}

// requestIPKey carries the requesting address to metadataClient.
type requestIPKey struct{}

// WithRequestIP records the address a request came from, for the limit on
// metadata-document fetches it may cause.
func WithRequestIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, requestIPKey{}, ip)
}

func requestIP(ctx context.Context) string {
	ip, _ := ctx.Value(requestIPKey{}).(string)
	return ip
}

// fetchClientDocument fetches and validates one document.
func (p *Provider) fetchClientDocument(ctx context.Context, id string) *cimdEntry {
	now := p.now()
	res, err := p.fetcher.Get(ctx, id, "application/json", cimdMaxBytes)
	if err != nil {
		p.log.WarnContext(ctx, "client metadata document fetch failed", "client_id", id, "error", err)
		reason := "it could not be fetched"
		var fe *FetchError
		if errors.As(err, &fe) {
			reason = fe.Reason
		}
		return &cimdEntry{err: &ClientDocumentError{URL: id, Reason: reason}, expires: now.Add(cimdFailTTL)}
	}
	c, err := ParseClientDocument(id, res.Body, p.cfg.StrictRedirects)
	if err != nil {
		return &cimdEntry{err: &ClientDocumentError{URL: id, Reason: err.Error()}, expires: now.Add(cimdFailTTL)}
	}
	return &cimdEntry{client: c, expires: now.Add(cacheTTL(res.Header, now))}
}

// cacheTTL reads Cache-Control max-age (or Expires) and clamps it.
func cacheTTL(h http.Header, now time.Time) time.Duration {
	ttl := cimdDefaultTTL
	cc := strings.ToLower(h.Get("Cache-Control"))
	found := false
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "no-store" || d == "no-cache":
			return cimdMinTTL
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(d, "max-age="), `"`)); err == nil {
				ttl, found = time.Duration(n)*time.Second, true
			}
		}
	}
	if !found {
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			ttl = exp.Sub(now)
		}
	}
	return min(max(ttl, cimdMinTTL), cimdMaxTTL)
}

// rememberDocumentClient stores (or refreshes) the client row, so grants,
// consents and the console can refer to it; an operator's disable sticks.
func (p *Provider) rememberDocumentClient(ctx context.Context, c *Client) (*Client, error) {
	stored, err := p.store.GetClient(ctx, c.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		fresh := *c
		fresh.CreatedAt = p.now()
		err := p.store.CreateClient(ctx, &fresh)
		if errors.Is(err, ErrConflict) { // created concurrently: use the stored row
			return p.rememberDocumentClient(ctx, c)
		}
		if err != nil {
			return nil, err
		}
		return &fresh, nil
	case err != nil:
		return nil, err
	}
	if stored.Source != SourceCIMD {
		return nil, &ClientDocumentError{URL: c.ID, Reason: "the client_id is taken by another client"}
	}
	merged := *c
	merged.CreatedAt, merged.LastUsedAt, merged.Disabled = stored.CreatedAt, stored.LastUsedAt, stored.Disabled
	merged.IgnoredScopes = stored.IgnoredScopes
	if !sameDocumentClient(stored, &merged) {
		// UpdateClient never writes the disabled flag: an operator's
		// disable cannot be undone by a refetch racing it.
		if err := p.store.UpdateClient(ctx, &merged); err != nil {
			return nil, err
		}
	}
	return &merged, nil
}

// sameDocumentClient reports whether a refetched document changed nothing stored.
func sameDocumentClient(a, b *Client) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// client finds a client by ID: a URL is a metadata document, anything else
// a stored registration.
func (p *Provider) client(ctx context.Context, id string) (*Client, error) {
	if IsURLClientID(id) {
		return p.metadataClient(ctx, id)
	}
	return p.store.GetClient(ctx, id)
}
