package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// corsListeners are the HTTP listeners with CORS settings and an
// authenticated URL on each (the player pages need no stream).
var corsListeners = []struct{ listener, key, path string }{
	{"hls", "hlsAllowOrigins", "/cam/"},
	{"webrtc", "webrtcAllowOrigins", "/cam/"},
	{"api", "apiAllowOrigins", "/v3/paths/list"},
	{"metrics", "metricsAllowOrigins", "/metrics"},
	{"pprof", "pprofAllowOrigins", "/debug/pprof/"},
}

const corsUsers = `
hls: yes
webrtc: yes
metrics: yes
pprof: yes
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- user: admin
  pass: cors-secret-1
  permissions: [{action: api}, {action: metrics}, {action: pprof}, {action: read}]
paths:
  cam: {}
`

// corsGet sends GET url as admin from origin (none when empty).
func corsGet(t *testing.T, url, origin string) answer {
	t.Helper()
	opts := []reqOpt{basicAuth("admin", "cors-secret-1")}
	if origin != "" {
		opts = append(opts, header("Origin", origin))
	}
	a := get(t, url, opts...)
	wantStatus(t, "GET "+url, a, http.StatusOK)
	return a
}

// With the default '*' every listener lets any site read without
// credentials: Access-Control-Allow-Origin: * and never
// Access-Control-Allow-Credentials (a page on any site must not read a
// signed-in viewer's streams with the browser's credentials).
func TestCORSWildcardGrantsNoCredentials(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, corsUsers)
	for _, l := range corsListeners {
		t.Run(l.listener, func(t *testing.T) {
			a := corsGet(t, d.URL(l.listener, l.path), "https://evil.example")
			if got := a.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if got := a.header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q, want none", got)
			}
		})
	}
}

// Listed origins are echoed with credentials (and Vary: Origin), others get
// no Access-Control-Allow-Origin; each listener reads its own key.
func TestCORSListedOriginsPerListener(t *testing.T) {
	t.Parallel()
	cfg := corsUsers
	for _, l := range corsListeners {
		cfg += l.key + ": [https://" + l.listener + ".example]\n"
	}
	d := testharness.Start(t, cfg)
	for _, l := range corsListeners {
		t.Run(l.listener, func(t *testing.T) {
			u := d.URL(l.listener, l.path)
			own := "https://" + l.listener + ".example"
			a := corsGet(t, u, own)
			if got := a.header.Get("Access-Control-Allow-Origin"); got != own {
				t.Errorf("listed origin: Access-Control-Allow-Origin %q, want %q", got, own)
			}
			if got := a.header.Get("Access-Control-Allow-Credentials"); got != "true" {
				t.Errorf("listed origin: Access-Control-Allow-Credentials %q, want true", got)
			}
			for _, origin := range []string{"", own} {
				if vary := strings.Join(corsGet(t, u, origin).header.Values("Vary"), ","); !strings.Contains(vary, "Origin") {
					t.Errorf("origin %q: Vary %q, want Origin (the answer depends on it)", origin, vary)
				}
			}
			other := "https://api.example"
			if l.listener == "api" {
				other = "https://hls.example"
			}
			for _, origin := range []string{other, "https://evil.example", "null"} {
				a := corsGet(t, u, origin)
				if got := a.header.Get("Access-Control-Allow-Origin"); got != "" {
					t.Errorf("unlisted origin %s: Access-Control-Allow-Origin %q, want none", origin, got)
				}
				if got := a.header.Get("Access-Control-Allow-Credentials"); got != "" {
					t.Errorf("unlisted origin %s: Access-Control-Allow-Credentials %q, want none", origin, got)
				}
			}
		})
	}
}

// MediaMTX's deprecated singular *AllowOrigin stands for the list with that
// one origin (replacing the default '*').
func TestCORSDeprecatedSingularAllowOrigin(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, corsUsers+"hlsAllowOrigin: https://legacy.example\napiAllowOrigin: '*'\n")
	a := corsGet(t, d.URL("hls", "/cam/"), "https://legacy.example")
	if got := a.header.Get("Access-Control-Allow-Origin"); got != "https://legacy.example" {
		t.Errorf("hlsAllowOrigin: Access-Control-Allow-Origin %q, want https://legacy.example", got)
	}
	if got := corsGet(t, d.URL("hls", "/cam/"), "https://evil.example").header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("hlsAllowOrigin: an unlisted origin got Access-Control-Allow-Origin %q, want none", got)
	}
	if got := corsGet(t, d.URL("api", "/v3/paths/list"), "https://evil.example").header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("apiAllowOrigin '*': Access-Control-Allow-Origin %q, want *", got)
	}
}

// preflight sends OPTIONS url (a CORS preflight: opts set its Origin and
// Access-Control-Request-* headers) with c.
func preflight(t *testing.T, c *http.Client, url string, opts ...reqOpt) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := send(c, req, opts...)
	if err != nil {
		t.Fatalf("OPTIONS %s: %v", url, err)
	}
	return a
}

// A preflight from a listed origin is answered without credentials on
// every listener, the API included (a browser app calling the API).
func TestCORSPreflightOnEveryListener(t *testing.T) {
	t.Parallel()
	cfg := corsUsers
	for _, l := range corsListeners {
		cfg += l.key + ": [https://app.example]\n"
	}
	d := testharness.Start(t, cfg)
	for _, l := range corsListeners {
		a := preflight(t, defaultClient, d.URL(l.listener, l.path), header("Origin", "https://app.example"),
			header("Access-Control-Request-Method", "GET"), header("Access-Control-Request-Headers", "authorization"))
		if a.status != http.StatusNoContent && a.status != http.StatusOK {
			t.Errorf("%s: preflight → %d, want 204", l.listener, a.status)
		}
		if got := a.header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
			t.Errorf("%s: preflight Access-Control-Allow-Origin %q, want https://app.example", l.listener, got)
		}
		if got := a.header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "authorization") {
			t.Errorf("%s: preflight Access-Control-Allow-Headers %q, want Authorization", l.listener, got)
		}
	}
}

// Every authenticated answer, and every refusal, is kept out of shared
// caches: API JSON, metrics, pprof, the player pages, 401s.
func TestHTTPAnswersAreNotStoredByCaches(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, corsUsers)
	for _, l := range corsListeners {
		u := d.URL(l.listener, l.path)
		if cc := corsGet(t, u, "").header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", l.listener, l.path, cc)
		}
		a := get(t, u)
		wantStatus(t, l.listener+" without credentials", a, http.StatusUnauthorized)
		if cc := a.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s 401: Cache-Control %q, want no-store", l.listener, l.path, cc)
		}
	}
}
