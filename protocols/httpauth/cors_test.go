package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/protocols/httpauth"
)

func TestCORS(t *testing.T) {
	for _, tt := range []struct {
		name        string
		allowed     []string
		origin      string
		wantOrigin  string
		wantCreds   bool
		wantVary    bool
		wantHandled bool
	}{
		{name: "no origin, '*'", allowed: []string{"*"}},
		{name: "'*' answers * without credentials", allowed: []string{"*"}, origin: "https://evil.example", wantOrigin: "*"},
		{name: "listed origin echoed with credentials", allowed: []string{"https://app.example"}, origin: "https://app.example",
			wantOrigin: "https://app.example", wantCreds: true, wantVary: true},
		{name: "listed beside '*' keeps credentials", allowed: []string{"*", "https://app.example"}, origin: "https://app.example",
			wantOrigin: "https://app.example", wantCreds: true, wantVary: true},
		{name: "unlisted beside '*' gets * only", allowed: []string{"*", "https://app.example"}, origin: "https://evil.example",
			wantOrigin: "*", wantVary: true},
		{name: "unlisted origin", allowed: []string{"https://app.example"}, origin: "https://evil.example", wantVary: true},
		{name: "no origin, listed: Vary all the same", allowed: []string{"https://app.example"}, wantVary: true},
		{name: "an Origin of * is no listed origin", allowed: []string{"*"}, origin: "*", wantOrigin: "*"},
		{name: "null origin", allowed: []string{"https://app.example"}, origin: "null", wantVary: true},
		{name: "nothing allowed", origin: "https://app.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodOptions} {
				r := httptest.NewRequest(method, "/cam/index.m3u8", nil)
				if tt.origin != "" {
					r.Header.Set("Origin", tt.origin)
				}
				w := httptest.NewRecorder()
				handled := httpauth.CORS{AllowOrigins: func() []string { return tt.allowed }}.Handle(w, r)
				if handled != (method == http.MethodOptions) {
					t.Errorf("%s: handled %v", method, handled)
				}
				h := w.Header()
				if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
					t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", method, got, tt.wantOrigin)
				}
				if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != tt.wantCreds {
					t.Errorf("%s: Access-Control-Allow-Credentials %q, want credentials %v", method, h.Get("Access-Control-Allow-Credentials"), tt.wantCreds)
				}
				if got := strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin"); got != tt.wantVary {
					t.Errorf("%s: Vary %q, want Origin %v", method, h.Values("Vary"), tt.wantVary)
				}
			}
		})
	}
}
