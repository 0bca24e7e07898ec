package e2e_test

import (
	"net/http"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// A user no request below authenticates as: every protected endpoint must
// challenge.
const lockedConfig = `
authRealm: e2e-locked
metrics: yes
pprof: yes
authInternalUsers:
- user: admin
  pass: admin-secret-0
  permissions: [{action: api}, {action: metrics}, {action: pprof}]
`

func TestHealthAndReadyAreOpenOnEveryListener(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, lockedConfig)
	for _, l := range []struct{ listener, protected string }{
		{"api", "/v3/paths/list"},
		{"metrics", "/metrics"},
		{"pprof", "/debug/pprof/"},
	} {
		t.Run(l.listener, func(t *testing.T) {
			for _, p := range []string{"/health", "/ready"} {
				wantStatus(t, l.listener+p, get(t, d.URL(l.listener, p)), http.StatusOK)
			}
			wantChallenge(t, l.listener+l.protected, get(t, d.URL(l.listener, l.protected)), "e2e-locked")
			wantStatus(t, l.listener+l.protected+" as admin",
				get(t, d.URL(l.listener, l.protected), basicAuth("admin", "admin-secret-0")), http.StatusOK)
		})
	}
}

func TestAPIChallengesWithTheConfiguredRealm(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, lockedConfig)
	for _, c := range []struct {
		name string
		opts []reqOpt
	}{
		{"no credentials", nil},
		{"wrong password", []reqOpt{basicAuth("admin", "nope")}},
		{"unknown user", []reqOpt{basicAuth("nobody", "nope")}},
		{"malformed basic", []reqOpt{header("Authorization", "Basic !!!")}},
		{"unknown scheme", []reqOpt{header("Authorization", "Digest username=admin")}},
	} {
		for _, path := range []string{"/v3/paths/list", "/v3/config/get"} {
			wantChallenge(t, c.name+" "+path, get(t, d.URL("api", path), c.opts...), "e2e-locked")
		}
	}
	wantStatus(t, "unknown API path as admin", get(t, d.URL("api", "/v3/nothing"), basicAuth("admin", "admin-secret-0")), http.StatusNotFound)
	// The default realm is "streamgate".
	d2 := testharness.Start(t, `
authInternalUsers:
- user: admin
  pass: admin-secret-0
  permissions: [{action: api}]
`)
	wantChallenge(t, "default realm", get(t, d2.URL("api", "/v3/paths/list")), "streamgate")
}

func TestAnyUserAllowsAnonymousAPIFromLocalhost(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
metrics: yes
authInternalUsers:
- user: any
  ips: [127.0.0.1, '::1']
  permissions: [{action: api}]
- user: any
  ips: [10.0.0.0/8]
  permissions: [{action: metrics}]
- user: admin
  pass: admin-secret-1
  permissions: [{action: metrics}]
`)
	a := get(t, d.URL("api", "/v3/paths/list"))
	wantStatus(t, "anonymous api from 127.0.0.1", a, http.StatusOK)
	if a.header.Get("Content-Type") != "application/json" {
		t.Errorf("paths/list Content-Type %q", a.header.Get("Content-Type"))
	}
	// "any" matches every name and password for what it allows.
	wantStatus(t, "api with any credentials", get(t, d.URL("api", "/v3/paths/list"), basicAuth("who", "ever")), http.StatusOK)
	// Metrics are allowed to "any" only from 10/8: ask for credentials.
	wantChallenge(t, "anonymous metrics from 127.0.0.1", get(t, d.URL("metrics", "/metrics")), "streamgate")
	wantStatus(t, "metrics as admin", get(t, d.URL("metrics", "/metrics"), basicAuth("admin", "admin-secret-1")), http.StatusOK)
	wantChallenge(t, "metrics as admin, wrong password", get(t, d.URL("metrics", "/metrics"), basicAuth("admin", "x")), "streamgate")
}

// A CPU profile longer than writeTimeout still works: `go tool pprof`
// asks for 30 s by default, more than the default writeTimeout of 10 s.
func TestPprofProfileLongerThanWriteTimeout(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
writeTimeout: 1s
pprof: yes
authInternalUsers:
- {user: prof, pass: prof-secret, permissions: [{action: pprof}]}
`)
	a := get(t, d.URL("pprof", "/debug/pprof/profile?seconds=2"), basicAuth("prof", "prof-secret"))
	wantStatus(t, "2 s profile with writeTimeout 1s", a, http.StatusOK)
	if len(a.body) == 0 {
		t.Errorf("empty profile")
	}
	wantStatus(t, "pprof index", get(t, d.URL("pprof", "/debug/pprof/"), basicAuth("prof", "prof-secret")), http.StatusOK)
}
