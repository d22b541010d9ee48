package gateway

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/oauth"
)

// ResourceMetadata is the RFC 9728 §2 document of one route.
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ScopesSupported        []string `json:"scopes_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// ServeRouteMetadata answers /.well-known/oauth-protected-resource/mcp/{route}
// (RS-1, RS-2, RS-4): resource is the route's canonical URL, the issuer is
// the one authorization server, and only the header carries tokens.
func (g *Gateway) ServeRouteMetadata(w http.ResponseWriter, r *http.Request) {
	e, err := g.route(r.Context(), r.PathValue("route"))
	if errors.Is(err, oauth.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		g.log.ErrorContext(r.Context(), "resource metadata: load route", "error", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	g.writeMetadata(w, e.route)
}

// ServeRootMetadata answers /.well-known/oauth-protected-resource: with one
// route it is that route's document, so clients that only try the root find it.
func (g *Gateway) ServeRootMetadata(w http.ResponseWriter, r *http.Request) {
	routes, err := g.store.ListRoutes(r.Context())
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if len(routes) != 1 {
		http.NotFound(w, r)
		return
	}
	g.writeMetadata(w, routes[0])
}

func (g *Gateway) writeMetadata(w http.ResponseWriter, rt *oauth.Route) {
	scopes := rt.BaseScopes() // RS-4: the minimal set; step-up scopes come by challenge
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_ = json.NewEncoder(w).Encode(ResourceMetadata{
		Resource: g.resourceURL(rt.Name), AuthorizationServers: []string{g.cfg.Issuer},
		BearerMethodsSupported: []string{"header"}, ScopesSupported: scopes, ResourceName: rt.Title,
	})
}
