package oauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// RFC 7592 client configuration endpoint at /register/{client_id}: a
// dynamically registered client reads, replaces or deletes its registration
// with the registration access token it got once (stored hashed).

// PrefixRegistrationToken marks registration access tokens.
const PrefixRegistrationToken = "lkrat_"

// registrationLimits guard POST /register.
const (
	registerPerMinute = 20
	registerBurst     = 40
	// DefaultMaxUnusedClients caps dynamic clients that never completed a
	// flow; past it registration answers 503 until clean-up frees room.
	DefaultMaxUnusedClients = 10000
	// maxUnusedPerSource caps them per source address (IPv6: per /64), so
	// one source cannot fill the global cap for everyone.
	maxUnusedPerSource = 50
)

// ClientIP is the request's peer address (proxies are not trusted for it).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SourceKey groups addresses one party controls: an IPv4 address, or the
// /64 of an IPv6 address (one subscriber's usual allocation).
func SourceKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// admitRegistration applies the per-IP rate limit and the unused-client cap.
func (p *Provider) admitRegistration(w http.ResponseWriter, r *http.Request) bool {
	src := SourceKey(ClientIP(r))
	ok, wait := p.registerLimit.Allow(src, p.now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: "slow_down", ErrorDescription: "Too many registrations from this address; try again later."})
		return false
	}
	mine, err := p.store.CountUnusedClients(r.Context(), SourceDCR, src)
	if err != nil {
		p.writeError(r.Context(), w, ServerError(err))
		return false
	}
	if mine >= maxUnusedPerSource {
		w.Header().Set("Retry-After", "3600")
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: "slow_down", ErrorDescription: "Too many registrations from this address that were never used; use one of them or try again later."})
		return false
	}
	n, err := p.store.CountUnusedClients(r.Context(), SourceDCR, "")
	if err != nil {
		p.writeError(r.Context(), w, ServerError(err))
		return false
	}
	if n >= p.cfg.MaxUnusedClients {
		p.log.WarnContext(r.Context(), "registration refused: too many unused dynamic clients", "unused", n)
		w.Header().Set("Retry-After", "600")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "temporarily_unavailable", ErrorDescription: "Registration is temporarily unavailable; try again later."})
		return false
	}
	return true
}

// registrationClient authenticates a configuration-endpoint request: the
// path's client must be a dynamic registration and the bearer token its
// registration access token. Any failure is 401 invalid_token (RFC 7592 §3:
// no hint whether the client exists).
func (p *Provider) registrationClient(ctx context.Context, r *http.Request) (*Client, error) {
	id := r.PathValue("client_id")
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" || IsURLClientID(id) {
		return nil, errRegistrationAuth
	}
	c, err := p.store.GetClient(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errRegistrationAuth
	}
	if err != nil {
		return nil, ServerError(err)
	}
	if c.RegistrationTokenHash == "" || !SecretMatches(strings.TrimSpace(tok), c.RegistrationTokenHash) {
		return nil, errRegistrationAuth
	}
	return c, nil
}

var errRegistrationAuth = errors.New("registration access token refused")

func writeRegistrationAuthError(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid_token", ErrorDescription: "The registration access token is not valid for this client."})
}

// ServeClientConfiguration handles GET, PUT and DELETE /register/{client_id}.
func (p *Provider) ServeClientConfiguration(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := p.registrationClient(ctx, r)
	if errors.Is(err, errRegistrationAuth) {
		writeRegistrationAuthError(w)
		return
	}
	if err != nil {
		p.writeError(ctx, w, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, p.registrationResponse(c, "", ""))
	case http.MethodDelete:
		if err := p.DeleteClient(ctx, c.ID); err != nil {
			p.writeError(ctx, w, ServerError(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		p.updateRegistration(w, r, c)
	}
}

// updateRegistration replaces the client's metadata (RFC 7592 §2.2): the
// body carries client_id (and client_secret, if any) unchanged.
func (p *Provider) updateRegistration(w http.ResponseWriter, r *http.Request, c *Client) {
	ctx := r.Context()
	md, extra, err := decodeRegistrationUpdate(r)
	if err != nil {
		p.writeError(ctx, w, err)
		return
	}
	if extra.ClientID != c.ID {
		p.writeError(ctx, w, InvalidRequest("client_id in the body must be the client's own."))
		return
	}
	if extra.ClientSecret != "" && (!c.UsesSecret() || !SecretMatches(extra.ClientSecret, c.SecretHash)) {
		p.writeError(ctx, w, InvalidRequest("client_secret in the body does not match."))
		return
	}
	if err := p.validateMetadata(md); err != nil {
		p.writeError(ctx, w, err)
		return
	}
	secret := ""
	updated := *c
	applyMetadata(&updated, md)
	switch {
	case updated.UsesSecret() && !c.UsesSecret():
		secret = NewSecret(PrefixClientSecret)
		updated.SecretHash = HashSecret(secret)
	case !updated.UsesSecret():
		updated.SecretHash = ""
	}
	if err := p.store.UpdateClient(ctx, &updated); err != nil {
		p.writeError(ctx, w, ServerError(err))
		return
	}
	writeJSON(w, http.StatusOK, p.registrationResponse(&updated, secret, ""))
}

// DeleteClient removes a client and revokes every grant it holds.
func (p *Provider) DeleteClient(ctx context.Context, id string) error {
	return DeleteClient(ctx, p.store, id, p.now())
}

// registrationResponse renders a client for the registration endpoints,
// with the configuration endpoint's URL and, once, the secrets.
func (p *Provider) registrationResponse(c *Client, secret, regToken string) RegistrationResponse {
	resp := RegistrationResponseFor(c, secret)
	if c.Source == SourceDCR {
		resp.RegistrationClientURI = p.cfg.Issuer + "/register/" + c.ID
		resp.RegistrationAccessToken = regToken
	}
	return resp
}
