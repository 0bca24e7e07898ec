package httpauth

import (
	"net/http"
	"net/netip"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// Gate authenticates the requests of a media HTTP listener (HLS, WebRTC)
// for an action on a path. Its fields are read per request, so that a
// reload takes effect at once.
type Gate struct {
	Auth     authn.Authenticator
	Protocol authn.Protocol
	// Realm is the realm of the Basic challenge.
	Realm func() string
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies func() []netip.Prefix
	// QueryToken, when it returns true, accepts ?token= and ?jwt=; nil: no.
	QueryToken func() bool
	// AllowOrigins are the CORS origins (see CORS); nil allows none.
	AllowOrigins func() []string
}

// Check authenticates r for action on path. On failure it has answered
// (401 with the realm, 403 or 503) and returns nil.
func (g *Gate) Check(w http.ResponseWriter, r *http.Request, action authz.Action, path string) *authn.Identity {
	return g.CheckLabels(w, r, action, path, nil)
}

// CheckLabels is Check holding the identity's label rule against labels
// (a publisher against the path's savantLabels); nil labels: no rule.
func (g *Gate) CheckLabels(w http.ResponseWriter, r *http.Request, action authz.Action, path string, labels []string) *authn.Identity {
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
		Labels:      labels,
	}
	id, err := g.Auth.Authenticate(r.Context(), &req)
	if err != nil {
		WriteError(w, err, g.Realm())
		return nil
	}
	return id
}

// CORS sets the CORS headers of r's answer (see CORS.Handle). It returns
// true when r is a preflight (OPTIONS) request, which it has answered.
func (g *Gate) CORS(w http.ResponseWriter, r *http.Request) (preflight bool) {
	return CORS{AllowOrigins: g.AllowOrigins}.Handle(w, r)
}
