package httpauth

import (
	"net/http"
	"strconv"

	"github.com/streamgate/streamgate/authn"
)

// WriteError answers a failed authentication. This is the one place where
// authn's error kinds become HTTP statuses:
//
//	ask, denied  → 401 with WWW-Authenticate: Basic realm="…", empty body
//	forbidden    → 403, empty body
//	unavailable  → 503, empty body
//
// Unknown user, wrong password and quarantine are all "denied": the same
// status and the same (empty) body.
func WriteError(w http.ResponseWriter, err error, realm string) {
	h := w.Header()
	h.Set("Content-Length", "0")
	h.Set("Cache-Control", "no-store")
	switch authn.KindOf(err) {
	case authn.KindAskCredentials, authn.KindDenied:
		h.Set("WWW-Authenticate", `Basic realm=`+strconv.Quote(realm))
		w.WriteHeader(http.StatusUnauthorized)
	case authn.KindForbidden:
		w.WriteHeader(http.StatusForbidden)
	default:
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}
