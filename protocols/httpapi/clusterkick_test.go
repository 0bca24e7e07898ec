package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// POST /v3/cluster/kick: 200 with the local count, 400 for a bad body, 503
// when the cluster is off or etcd is away; action api required.
func TestClusterKickEndpoint(t *testing.T) {
	var kickedUser string
	ok := func(_ context.Context, user string) (int, error) { kickedUser = user; return 2, nil }
	down := func(context.Context, string) (int, error) { return 0, errors.New("etcd unavailable") }
	for _, tt := range []struct {
		name   string
		kick   func(context.Context, string) (int, error)
		body   string
		auth   string
		want   int
		counts string
	}{
		{"kicked", ok, `{"user":"alice"}`, "Bearer good-jwt", http.StatusOK, `"kicked": 2`},
		{"etcd away", down, `{"user":"alice"}`, "Bearer good-jwt", http.StatusServiceUnavailable, ""},
		{"cluster off", nil, `{"user":"alice"}`, "Bearer good-jwt", http.StatusServiceUnavailable, ""},
		{"no user", ok, `{}`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"empty user", ok, `{"user":" "}`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"not JSON", ok, `user=alice`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"unknown field", ok, `{"user":"alice","path":"x"}`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"two values", ok, `{"user":"alice"}{"user":"bob"}`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"user not a string", ok, `{"user":1}`, "Bearer good-jwt", http.StatusBadRequest, ""},
		{"no credentials", ok, `{"user":"alice"}`, "", http.StatusUnauthorized, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kickedUser = ""
			env := newEnv(nil, false)
			env.ClusterKick = tt.kick
			r := httptest.NewRequest(http.MethodPost, "/v3/cluster/kick", strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			env.APIHandler().ServeHTTP(w, r)
			if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.counts) {
				t.Fatalf("status %d body %q, want %d with %q", w.Code, w.Body, tt.want, tt.counts)
			}
			if (tt.want == http.StatusOK) != (kickedUser == "alice") {
				t.Fatalf("kick called with %q", kickedUser)
			}
		})
	}
}
