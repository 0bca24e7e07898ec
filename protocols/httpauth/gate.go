package httpauth

import (
	"context"
	"net/http"
	"net/netip"
	"slices"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// Authenticator is the pipeline as HTTP listeners see it.
type Authenticator interface {
	Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error)
}

// Gate authenticates the requests of a media HTTP listener (HLS, WebRTC)
// for an action on a path. Its fields are read per request, so that a
// reload takes effect at once.
type Gate struct {
	Auth     Authenticator
	Protocol authn.Protocol
	// Realm is the realm of the Basic challenge.
	Realm func() string
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies func() []netip.Prefix
	// QueryToken, when it returns true, accepts ?token= and ?jwt=; nil: no.
	QueryToken func() bool
	// AllowOrigins are the CORS origins; '*' allows any.
	AllowOrigins func() []string
}

// Check authenticates r for action on path. On failure it has answered
// (401 with the realm, 403 or 503) and returns nil.
func (g *Gate) Check(w http.ResponseWriter, r *http.Request, action authz.Action, path string) *authn.Identity {
	var trusted []netip.Prefix
	if g.TrustedProxies != nil {
		trusted = g.TrustedProxies()
	}
	req := authn.Request{
		Action:      action,
		Path:        path,
		Protocol:    g.Protocol,
		IP:          ClientIP(r, trusted),
		Credentials: Credentials(r, Options{QueryToken: g.QueryToken != nil && g.QueryToken()}),
		Query:       r.URL.RawQuery,
	}
	id, err := g.Auth.Authenticate(r.Context(), &req)
	if err != nil {
		WriteError(w, err, g.Realm())
		return nil
	}
	return id
}

// CORS sets the CORS headers of r's answer. It returns true when r is a
// preflight (OPTIONS) request, which it has answered: preflights carry no
// credentials and are not authenticated.
func (g *Gate) CORS(w http.ResponseWriter, r *http.Request) (preflight bool) {
	origin := r.Header.Get("Origin")
	var allowed []string
	if g.AllowOrigins != nil {
		allowed = g.AllowOrigins()
	}
	h := w.Header()
	switch {
	case origin == "":
	case slices.Contains(allowed, "*") || slices.Contains(allowed, origin):
		// Credentials (Authorization) need the origin echoed, not '*'.
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "OPTIONS, GET, POST, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Expose-Headers", "Link, Location, ETag")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
