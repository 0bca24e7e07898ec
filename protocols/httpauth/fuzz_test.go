package httpauth_test

import (
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/httpauth"
)

// FuzzParseAuthorization: ParseAuthorization never panics, gives either a
// user/password pair or a token, never both; and for the input s taken as
// "u:p" (u without a colon), `Basic base64(s)` parses to exactly u and p.
// Seeds are in testdata/fuzz/FuzzParseAuthorization.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("Basic dXNlcjpwYXNz")
	f.Fuzz(func(t *testing.T, s string) {
		for _, h := range []string{s, "Basic " + s, "Bearer " + s} {
			c := httpauth.ParseAuthorization(h)
			if c.Token != "" && (c.User != "" || c.Pass != "") {
				t.Fatalf("ParseAuthorization(%q) = %+v: both a token and a user", h, c)
			}
			if len(h) > httpauth.MaxAuthorizationLength && !c.IsEmpty() {
				t.Fatalf("ParseAuthorization accepted %d bytes (limit %d)", len(h), httpauth.MaxAuthorizationLength)
			}
		}
		user, pass, ok := strings.Cut(s, ":")
		if !ok {
			return
		}
		h := "Basic " + b64(s)
		if len(h) > httpauth.MaxAuthorizationLength {
			return
		}
		want := authn.Credentials{User: user, Pass: pass}
		if got := httpauth.ParseAuthorization(h); got != want {
			t.Fatalf("ParseAuthorization(Basic base64(%q)) = %+v, want %+v", s, got, want)
		}
	})
}
