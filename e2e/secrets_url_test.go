package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// URLs with credentials in them: user info and query tokens.
const urlSecretsConfig = `
logLevel: debug
hls: yes
authMethod: [internal, http, jwt]
authHTTPAddress: http://u:s3cretHTTP@127.0.0.1:1/auth?key=s3cretHTTPQuery
authHTTPTimeout: 1s
authJWTJWKS: http://jwks:s3cretJWKS@127.0.0.1:1/jwks.json?access_token=s3cretJWKSToken
authEtcd:
  endpoints: [http://root:s3cretEtcd@127.0.0.1:1, http://s3cretEtcdUser@127.0.0.1:1]
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- user: admin
  pass: url-admin-1
  permissions: [{action: api}]
paths:
  cam: {}
`

// /v3/config/get and the daemon's log (debug level) while the http
// backend and the JWKS server are unreachable never show a credential
// written inside a URL.
func TestURLCredentialsNeverShown(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, urlSecretsConfig)
	cfg := get(t, d.URL("api", "/v3/config/get"), basicAuth("admin", "url-admin-1"))
	wantStatus(t, "config/get", cfg, http.StatusOK)
	if strings.Contains(cfg.body, "s3cret") {
		t.Errorf("/v3/config/get shows a URL credential:\n%s", cfg.body)
	}
	if !strings.Contains(cfg.body, "127.0.0.1:1/auth") {
		t.Errorf("/v3/config/get lost the http backend's address:\n%s", cfg.body)
	}

	// The http backend is asked (and unreachable) for a user internal
	// does not know; the jwt backend fetches its JWKS for a token.
	a := get(t, d.URL("hls", "/cam/index.m3u8"), basicAuth("stranger", "pw"))
	wantStatus(t, "user for the unreachable http backend", a, http.StatusServiceUnavailable)
	get(t, d.URL("api", "/v3/paths/list"), bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
	req, _ := http.NewRequest(http.MethodPost, d.URL("api", "/v3/auth/jwks/refresh"), nil)
	req.SetBasicAuth("admin", "url-admin-1")
	if resp, err := defaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if !d.WaitLog("JWKS", 10*time.Second) {
		t.Fatalf("no JWKS failure logged:\n%s", d.Logs())
	}
	logBarrier(t, d)
	if logs := d.Logs(); strings.Contains(logs, "s3cret") {
		t.Errorf("the log shows a URL credential:\n%s", logs)
	}
}

// streamgate check on a configuration with a problem at such a URL names
// the key and line, not the credentials.
func TestCheckHidesURLCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, text := range []string{
		"authMethod: http\nauthHTTPAddress: ftp://u:s3cret@127.0.0.1/auth\n",
		"authMethod: jwt\nauthJWTJWKS: file://127.0.0.1/jwks?token=s3cret\n",
		"authMethod: etcd\nauthEtcd: {endpoints: http://root:s3cret@127.0.0.1:2379}\n",
		"authEtcd: http://root:s3cret@127.0.0.1:2379\n",
	} {
		p := testharness.WriteFile(t, dir, "bad"+string(rune('a'+i))+".yml", text)
		out, errOut, code := testharness.RunCLI(t, "", "check", p)
		if code != 1 || !strings.Contains(errOut, p+":") {
			t.Errorf("check %q: exit %d, stderr %q; want 1 and the file:line", text, code, errOut)
		}
		if strings.Contains(out+errOut, "s3cret") {
			t.Errorf("check %q shows the credential: %s%s", text, out, errOut)
		}
	}
}
