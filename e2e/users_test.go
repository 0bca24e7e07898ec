package e2e_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The argon2i hashes of seed 001 (Savant Media Gateway's guide) for
// "password", "password1" and "password2".
const (
	seedHash0 = "$argon2i$v=19$m=12,t=3,p=1$RzNHVVBjQXo4WUNBUUZYSnlOaGc$9Jmizcl1dv6maVzyIiuMV1OB1P9l6PKLbdmNjJDIgaU"
	seedHash1 = "$argon2i$v=19$m=12,t=3,p=1$YXkzZmx1eTFwVW5hZ0R2S1dXazA$VxVMw2Omh1CeVqry8Cay+4OZ69OGvn4fma2M5rURZhI"
	seedHash2 = "$argon2i$v=19$m=12,t=3,p=1$c0ZYQ1d3VWxabmx0ZUVmWDNIeVk$qHLr2T3xvedA5zZfTZhbNt3sXB9pa/xlFQ9dVmZG8DQ"
)

// usersFixture is a daemon with one user of every kind MediaMTX knows.
type usersFixture struct {
	d *testharness.Daemon
	// secrets are every configured password and password hash.
	secrets []string
	// names are every user name, for the metrics label check.
	names []string
}

func startUsersDaemon(t *testing.T) *usersFixture {
	t.Helper()
	argonID := hashArgon2(t, "argon-secret-3", "--memory", "64", "--time", "1", "--threads", "1")
	argonName := hashArgon2(t, "argon-named-user", "--algo", "argon2i", "--memory", "64", "--time", "1", "--threads", "1")
	shaPass := sha256Form("sha-secret-2")
	shaName := sha256Form("hidden-name")
	cfg := fmt.Sprintf(`
authRealm: e2e-users
metrics: yes
apiTrustedProxies: [127.0.0.1]
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: plain, pass: plain-secret-1, permissions: [{action: api}]}
- {user: colon, pass: 'pa:ss:word', permissions: [{action: api}]}
- {user: shapass, pass: '%s', permissions: [{action: api}]}
- {user: argonid, pass: '%s', permissions: [{action: api}]}
- {user: user0, pass: 'argon2:%s', permissions: [{action: api}]}
- {user: user1, pass: 'argon2:%s', permissions: [{action: api}]}
- {user: user2, pass: 'argon2:%s', permissions: [{action: api}]}
- {user: '%s', pass: hidden-pass-5, permissions: [{action: api}]}
- {user: '%s', pass: argon-named-pass, permissions: [{action: api}]}
- {user: tenonly, pass: ten-secret-6, ips: [10.0.0.0/8], permissions: [{action: api}]}
- {user: tenandlocal, pass: ten-secret-7, ips: [10.0.0.0/8, 127.0.0.1], permissions: [{action: api}]}
- {user: metricsonly, pass: metrics-secret-8, permissions: [{action: metrics}]}
- {user: reader, pass: reader-secret-9, permissions: [{action: read}, {action: publish, path: '~cam'}]}
`, shaPass, argonID, seedHash0, seedHash1, seedHash2, shaName, argonName)
	d := testharness.Start(t, cfg, testharness.WithMetricsAuth("metricsonly", "metrics-secret-8"))
	return &usersFixture{
		d: d,
		secrets: []string{"plain-secret-1", "pa:ss:word", shaPass, strings.TrimPrefix(shaPass, "sha256:"), "sha-secret-2",
			argonID, strings.TrimPrefix(argonID, "argon2:"), "argon-secret-3", seedHash0, seedHash1, seedHash2,
			"hidden-pass-5", "argon-named-pass", "ten-secret-6", "ten-secret-7", "metrics-secret-8", "reader-secret-9"},
		names: []string{"plain", "colon", "shapass", "argonid", "user0", "user1", "user2", "hidden-name",
			"argon-named-user", "tenonly", "tenandlocal", "metricsonly", "reader", "nobody"},
	}
}

func TestInternalUsers(t *testing.T) {
	t.Parallel()
	f := startUsersDaemon(t)
	d := f.d
	api := d.URL("api", "/v3/paths/list")
	metrics := d.URL("metrics", "/metrics")
	cases := []struct {
		name string
		url  string
		opts []reqOpt
		want int
	}{
		{"no credentials", api, nil, 401},
		{"plain", api, []reqOpt{basicAuth("plain", "plain-secret-1")}, 200},
		{"plain wrong password", api, []reqOpt{basicAuth("plain", "plain-secret-2")}, 401},
		{"plain empty password", api, []reqOpt{basicAuth("plain", "")}, 401},
		{"plain, scheme in lower case", api, []reqOpt{header("Authorization", "basic cGxhaW46cGxhaW4tc2VjcmV0LTE=")}, 200},
		{"password with colons", api, []reqOpt{basicAuth("colon", "pa:ss:word")}, 200},
		{"password with colons, prefix only", api, []reqOpt{basicAuth("colon", "pa")}, 401},
		{"password with colons, one more", api, []reqOpt{basicAuth("colon", "pa:ss:word:")}, 401},
		{"bearer user:pass", api, []reqOpt{bearer("plain:plain-secret-1")}, 200},
		{"bearer user:pass with colons", api, []reqOpt{bearer("colon:pa:ss:word")}, 200},
		{"bearer wrong password", api, []reqOpt{bearer("plain:nope")}, 401},
		{"bearer opaque token", api, []reqOpt{bearer("plain-secret-1")}, 401},
		{"sha256 password", api, []reqOpt{basicAuth("shapass", "sha-secret-2")}, 200},
		{"sha256 password wrong", api, []reqOpt{basicAuth("shapass", "sha-secret-3")}, 401},
		{"sha256 password, the digest as password", api, []reqOpt{basicAuth("shapass", sha256Form("sha-secret-2"))}, 401},
		{"argon2id password", api, []reqOpt{basicAuth("argonid", "argon-secret-3")}, 200},
		{"argon2id password wrong", api, []reqOpt{basicAuth("argonid", "argon-secret-4")}, 401},
		{"seed 001 argon2i: password", api, []reqOpt{basicAuth("user0", "password")}, 200},
		{"seed 001 argon2i: password1", api, []reqOpt{basicAuth("user1", "password1")}, 200},
		{"seed 001 argon2i: password2", api, []reqOpt{basicAuth("user2", "password2")}, 200},
		{"seed 001 argon2i: user0 wrong", api, []reqOpt{basicAuth("user0", "password1")}, 401},
		{"seed 001 argon2i: user1 wrong", api, []reqOpt{basicAuth("user1", "password2")}, 401},
		{"seed 001 argon2i: user2 wrong", api, []reqOpt{basicAuth("user2", "password")}, 401},
		{"sha256 user name", api, []reqOpt{basicAuth("hidden-name", "hidden-pass-5")}, 200},
		{"sha256 user name, wrong password", api, []reqOpt{basicAuth("hidden-name", "hidden-pass-6")}, 401},
		{"sha256 user name, the digest as name", api, []reqOpt{basicAuth(sha256Form("hidden-name"), "hidden-pass-5")}, 401},
		{"argon2 user name", api, []reqOpt{basicAuth("argon-named-user", "argon-named-pass")}, 200},
		{"argon2 user name, wrong password", api, []reqOpt{basicAuth("argon-named-user", "x")}, 401},
		{"unknown user", api, []reqOpt{basicAuth("nobody", "plain-secret-1")}, 401},
		{"ips 10/8 from 127.0.0.1", api, []reqOpt{basicAuth("tenonly", "ten-secret-6")}, 401},
		{"ips 10/8 via a trusted proxy from 10.1.2.3", api, []reqOpt{basicAuth("tenonly", "ten-secret-6"), header("X-Forwarded-For", "10.1.2.3")}, 200},
		{"ips 10/8 via a trusted proxy from 192.0.2.1", api, []reqOpt{basicAuth("tenonly", "ten-secret-6"), header("X-Forwarded-For", "192.0.2.1")}, 401},
		{"ips 10/8 + 127.0.0.1", api, []reqOpt{basicAuth("tenandlocal", "ten-secret-7")}, 200},
		{"metrics-only user on the API", api, []reqOpt{basicAuth("metricsonly", "metrics-secret-8")}, 403},
		{"metrics-only user on /metrics", metrics, []reqOpt{basicAuth("metricsonly", "metrics-secret-8")}, 200},
		{"metrics-only user, wrong password", metrics, []reqOpt{basicAuth("metricsonly", "metrics-secret-9")}, 401},
		{"api user on /metrics", metrics, []reqOpt{basicAuth("plain", "plain-secret-1")}, 403},
		{"read/publish user on the API", api, []reqOpt{basicAuth("reader", "reader-secret-9")}, 403},
		{"read/publish user, wrong password", api, []reqOpt{basicAuth("reader", "reader-secret-0")}, 401},
	}
	for _, c := range cases {
		a := get(t, c.url, c.opts...)
		switch c.want {
		case http.StatusUnauthorized:
			wantChallenge(t, c.name, a, "e2e-users")
		case http.StatusForbidden:
			wantStatus(t, c.name, a, c.want)
			if a.body != "" || a.header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s: 403 with body %q and challenge %q, want neither", c.name, a.body, a.header.Get("WWW-Authenticate"))
			}
		default:
			wantStatus(t, c.name, a, c.want)
		}
	}

	t.Run("config API hides every password and hash", func(t *testing.T) {
		a := get(t, d.URL("api", "/v3/config/get"), basicAuth("plain", "plain-secret-1"))
		wantStatus(t, "config/get", a, http.StatusOK)
		for _, s := range f.secrets {
			if strings.Contains(a.body, s) {
				t.Errorf("/v3/config/get contains %q", s)
			}
		}
		if !strings.Contains(a.body, `"[redacted]"`) {
			t.Errorf("/v3/config/get shows no redacted password:\n%s", a.body)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		fams := d.MetricFamilies(t)
		for _, c := range []struct {
			name   string
			labels map[string]string
		}{
			{"streamgate_auth_decisions_total", map[string]string{"backend": "internal", "action": "api", "protocol": "http", "result": "granted"}},
			{"streamgate_auth_decisions_total", map[string]string{"backend": "internal", "action": "api", "protocol": "http", "result": "denied"}},
			{"streamgate_auth_decisions_total", map[string]string{"backend": "internal", "action": "api", "protocol": "http", "result": "forbidden"}},
			{"streamgate_auth_decisions_total", map[string]string{"action": "api", "protocol": "http", "result": "ask"}},
			{"streamgate_auth_cache_requests_total", map[string]string{"result": "miss"}},
			{"streamgate_auth_argon2_verifications_total", nil},
		} {
			if v := testharness.MetricValue(fams, c.name, c.labels); v <= 0 {
				t.Errorf("%s%v = %v, want > 0", c.name, c.labels, v)
			}
		}
		for _, m := range fams["streamgate_auth_decisions_total"].GetMetric() {
			var names []string
			for _, l := range m.GetLabel() {
				names = append(names, l.GetName())
			}
			if got := strings.Join(names, ","); got != "action,backend,protocol,result" {
				t.Errorf("streamgate_auth_decisions_total labels %s, want action,backend,protocol,result", got)
			}
		}
		for fname, fam := range fams {
			for _, m := range fam.GetMetric() {
				for _, l := range m.GetLabel() {
					for _, n := range f.names {
						if l.GetValue() == n {
							t.Errorf("%s has the user name %q as the value of label %s", fname, n, l.GetName())
						}
					}
				}
			}
		}
	})

	t.Run("no password in the log", func(t *testing.T) {
		logBarrier(t, d)
		if got := d.LogEntriesWhere("auth decision"); len(got) == 0 {
			t.Fatal("no auth decision logged")
		}
		// "password" itself is left out: it is in the reason "wrong password".
		assertNotLogged(t, d, f.secrets...)
		assertNotLogged(t, d, "password1", "password2")
	})
}

// An argon2id hash made by an independent implementation (Debian's argon2
// tool, the reference C implementation) verifies.
func TestArgon2HashFromReferenceImplementation(t *testing.T) {
	t.Parallel()
	tool := testharness.RequirePeer(t, "argon2", "argon2")
	cmd := exec.Command(tool, "e2e-salt-1234", "-id", "-t", "2", "-m", "6", "-p", "1", "-e")
	cmd.Stdin = strings.NewReader("deb-secret-4")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("argon2: %v", err)
	}
	phc := strings.TrimSpace(string(out))
	d := testharness.Start(t, fmt.Sprintf(`
authInternalUsers:
- {user: deb, pass: 'argon2:%s', permissions: [{action: api}]}
`, phc))
	api := d.URL("api", "/v3/paths/list")
	wantStatus(t, "reference argon2id hash, right password", get(t, api, basicAuth("deb", "deb-secret-4")), http.StatusOK)
	wantChallenge(t, "reference argon2id hash, wrong password", get(t, api, basicAuth("deb", "deb-secret-5")), "streamgate")
}
