package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// tokenAuth grants action api to the token "good-jwt" and to admin:pw.
type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, req *authn.Request) (*authn.Identity, error) {
	c := req.Credentials
	if req.Action == authz.ActionAPI && (c.Token == "good-jwt" || c.User == "admin" && c.Pass == "pw") {
		return &authn.Identity{User: "admin"}, nil
	}
	if c.IsEmpty() {
		return nil, &authn.Error{Kind: authn.KindAskCredentials}
	}
	return nil, &authn.Error{Kind: authn.KindDenied}
}

func newEnv(refresh func(context.Context) error, queryToken bool) *httpapi.Env {
	return &httpapi.Env{
		Auth:           tokenAuth{},
		Realm:          func() string { return "streamgate" },
		TrustedProxies: func() []netip.Prefix { return nil },
		Ready:          func() bool { return true },
		Config:         func() any { return map[string]any{} },
		QueryToken:     func() bool { return queryToken },
		RefreshJWKS:    refresh,
	}
}

func serve(h http.Handler, method, target string, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// POST /v3/auth/jwks/refresh: 200 refreshed, 503 JWKS down, 404 without a
// jwt backend; action api required; other methods refused.
func TestJWTJWKSRefreshEndpoint(t *testing.T) {
	calls := 0
	ok := func(context.Context) error { calls++; return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	none := func(context.Context) error { return httpapi.ErrNoJWKS }
	for _, tt := range []struct {
		name    string
		refresh func(context.Context) error
		method  string
		auth    string
		want    int
	}{
		{"refreshed", ok, http.MethodPost, "Bearer good-jwt", http.StatusOK},
		{"JWKS down", down, http.MethodPost, "Bearer good-jwt", http.StatusServiceUnavailable},
		{"no jwt backend", none, http.MethodPost, "Bearer good-jwt", http.StatusNotFound},
		{"no RefreshJWKS", nil, http.MethodPost, "Bearer good-jwt", http.StatusNotFound},
		{"no credentials", ok, http.MethodPost, "", http.StatusUnauthorized},
		{"wrong token", ok, http.MethodPost, "Bearer bad-jwt", http.StatusUnauthorized},
		{"GET", ok, http.MethodGet, "Bearer good-jwt", http.StatusMethodNotAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(newEnv(tt.refresh, false).APIHandler(), tt.method, "/v3/auth/jwks/refresh", tt.auth)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (body %q)", w.Code, tt.want, w.Body)
			}
		})
	}
	if calls != 1 {
		t.Errorf("refresh ran %d times, want once (only when authenticated)", calls)
	}
}

// ?jwt= and ?token= carry a token only when authJWTInHTTPQuery is on.
func TestGuardQueryTokenJWT(t *testing.T) {
	for _, on := range []bool{false, true} {
		h := newEnv(nil, on).APIHandler()
		for _, q := range []string{"jwt", "token"} {
			w := serve(h, http.MethodGet, "/v3/paths/list?"+q+"=good-jwt", "")
			want := http.StatusUnauthorized
			if on {
				want = http.StatusOK
			}
			if w.Code != want {
				t.Errorf("authJWTInHTTPQuery=%v ?%s=: status %d, want %d", on, q, w.Code, want)
			}
		}
	}
}
