package oauth

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const maxTokenBody = 64 << 10

// TokenResponse is the successful token response (OAuth 2.1 §3.2.3).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	route        string // for the metrics, never sent
}

// ServeToken handles POST /token: authenticate the client, then dispatch on
// grant_type (OAuth 2.1 §3.2).
func (p *Provider) ServeToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form, client, ok := p.authenticatedForm(w, r)
	if !ok {
		return
	}
	var resp *TokenResponse
	var err error
	switch gt := form.Get("grant_type"); gt {
	case GrantAuthorizationCode:
		resp, err = p.exchangeCode(ctx, client, form)
	case GrantRefreshToken:
		resp, err = p.refresh(ctx, client, form)
	case "":
		err = InvalidRequest("The request has no grant_type.")
	default:
		err = UnsupportedGrantType("Supported grant types are authorization_code and refresh_token.")
	}
	if err != nil {
		p.writeError(ctx, w, err)
		return
	}
	_ = p.store.TouchClient(ctx, client.ID, p.now())
	p.metrics.Add(resp.route, MetricTokensIssued, 1)
	writeJSON(w, http.StatusOK, resp)
}

// parseTokenForm reads the form body and refuses repeated parameters and
// credentials in the query (OAuth 2.1 §3.2: the request body carries them).
func parseTokenForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return nil, InvalidRequest("The token request must be application/x-www-form-urlencoded.")
	}
	if r.URL.RawQuery != "" {
		return nil, InvalidRequest("Token request parameters belong in the body, not the URL.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	if err := r.ParseForm(); err != nil {
		return nil, InvalidRequest("The request body is not a valid form.")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 && k != "resource" {
			return nil, InvalidRequest("The " + k + " parameter appears more than once.")
		}
	}
	return r.PostForm, nil
}

// grantIssue is what a grant hands to issueTokens.
type grantIssue struct {
	grant   *Grant
	scopes  []string // scopes of this access token (may narrow the grant's)
	refresh string   // new refresh token in clear, "" when none
}

// mintAccess signs the access token for an issue (RFC 9068 §2).
func (p *Provider) mintAccess(g *grantIssue, now time.Time) (*TokenResponse, error) {
	exp := now.Add(p.cfg.AccessTokenTTL)
	scope := strings.Join(g.scopes, " ")
	at, err := p.keys.Sign(&AccessClaims{
		Issuer: p.cfg.Issuer, Subject: g.grant.UserID, Audience: g.grant.Resource,
		ClientID: g.grant.ClientID, Scope: scope, IssuedAt: numericDate(now),
		Expiry: numericDate(exp), ID: RandomString(16), GrantID: g.grant.ID,
	})
	if err != nil {
		return nil, err
	}
	return &TokenResponse{
		AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(p.cfg.AccessTokenTTL / time.Second),
		RefreshToken: g.refresh, Scope: scope, route: g.grant.Route,
	}, nil
}

// newRefreshToken creates the next refresh token of a grant's family.
func (p *Provider) newRefreshToken(ctx context.Context, tx Store, g *Grant, now time.Time) (string, error) {
	rt := NewSecret(PrefixRefreshToken)
	exp := now.Add(p.cfg.RefreshTokenTTL)
	if g.ExpiresAt.Before(exp) {
		exp = g.ExpiresAt
	}
	err := tx.CreateRefreshToken(ctx, &RefreshToken{Hash: HashSecret(rt), GrantID: g.ID, CreatedAt: now, ExpiresAt: exp})
	return rt, err
}

// checkTokenResource compares a token request's resource with the grant's:
// RFC 8707 §2.2 lets it narrow, never widen; one route means equal or absent.
func (p *Provider) checkTokenResource(form url.Values, route string) error {
	res := form["resource"]
	if len(res) == 0 || (len(res) == 1 && res[0] == "") {
		return nil
	}
	if len(res) > 1 {
		return InvalidTarget("Request one resource at a time.")
	}
	if name, ok := RouteForResource(p.cfg.Issuer, res[0]); !ok || name != route {
		return InvalidTarget("The resource does not match the one this grant was issued for.")
	}
	return nil
}

func canRefresh(c *Client) bool { return slices.Contains(c.GrantTypes, GrantRefreshToken) }
