package httpauth

import (
	"net/http"
	"slices"
)

// CORS answers the cross-origin side of an HTTP listener's requests from its
// *AllowOrigins list, read per request so that a reload takes effect at once:
//
//   - an origin listed by name is echoed with Access-Control-Allow-Credentials:
//     true — a page there may use the browser's credentials;
//   - otherwise '*' in the list answers Access-Control-Allow-Origin: *,
//     without credentials: any page may read what it can authenticate for
//     itself (an explicit Authorization header, a URL token), never with a
//     signed-in viewer's credentials;
//   - any other origin gets no Access-Control-Allow-Origin.
//
// When the answer depends on the Origin (a named origin is listed), every
// answer says Vary: Origin, so that a cache keeps them apart.
type CORS struct {
	// AllowOrigins returns the allowed origins; nil allows none.
	AllowOrigins func() []string
}

// Handle sets the CORS headers of r's answer. It returns true when r is a
// preflight (OPTIONS) request, which it has answered: preflights carry no
// credentials and are not authenticated.
func (c CORS) Handle(w http.ResponseWriter, r *http.Request) (preflight bool) {
	var allowed []string
	if c.AllowOrigins != nil {
		allowed = c.AllowOrigins()
	}
	h := w.Header()
	if slices.ContainsFunc(allowed, func(o string) bool { return o != "*" }) {
		h.Add("Vary", "Origin")
	}
	switch origin := r.Header.Get("Origin"); {
	case origin == "":
	case origin != "*" && slices.Contains(allowed, origin):
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	case slices.Contains(allowed, "*"):
		h.Set("Access-Control-Allow-Origin", "*")
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

// Wrap puts c in front of next: preflights are answered here, every other
// request goes on with its CORS headers set.
func (c CORS) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.Handle(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}
