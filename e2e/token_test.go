package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// tokenHexKey is the token tests' secret (hex).
const tokenHexKey = "0123456789abcdef0123456789abcdef"

// startTokenDaemon runs streamgate with the internal and token backends
// (one hex secret sec-1, the verification given as a YAML flow mapping),
// every path configured, and top; sign makes a 5-minute token for an acl
// with `streamgate token sign`.
func startTokenDaemon(t *testing.T, verification, top string) (d *testharness.Daemon, sign func(acl string) string) {
	t.Helper()
	key := testharness.TempFile(t, "sec-1.txt", tokenHexKey+"\n")
	d = testharness.Start(t, fmt.Sprintf(`
authMethod: [internal, token]
authTokens:
  secrets: [{id: sec-1, file: %s, encoding: hex}]
  verifications: [%s]
paths:
  all_others:
%s`, key, verification, top))
	return d, func(acl string) string {
		out, errOut, code := testharness.RunCLI(t, "", "token", "sign", "--key-file", key, "--encoding", "hex", "--acl", acl, "--ttl", "5m")
		if code != 0 {
			t.Fatalf("token sign: %d %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
}

// npmToken is a 5-minute token for acl signed with tokenHexKey by npm
// akamai-edgeauth, an implementation independent of the daemon's.
func npmToken(t *testing.T, acl string) string {
	t.Helper()
	mod := testharness.EdgeAuthModule(t)
	script := `const EdgeAuth = require(process.argv[1]);
process.stdout.write(new EdgeAuth({key: process.argv[2], windowSeconds: 300}).generateACLToken(process.argv[3]));`
	out, err := exec.Command("node", "-e", script, mod, tokenHexKey, acl).Output()
	if err != nil {
		t.Fatalf("node akamai-edgeauth: %v", err)
	}
	return string(out)
}

// Signed URL tokens against the running binary: `streamgate token sign`
// tokens (the CLI's output is checked against npm akamai-edgeauth in
// cmd/streamgate) accepted on the API from ?token=, ?__token__=, the cookie
// and Bearer, and on RTSP from ?token=; refused with 403 when tampered or
// outside their acl.
func TestTokensOverAPIAndRTSP(t *testing.T) {
	t.Parallel()
	// The API and publishing are listed: a token grants only the actions
	// its verification names (TestTokenScope).
	d, sign := startTokenDaemon(t, "{name: v1, enabled: yes, paths: [], secretIds: [sec-1], actions: [read, playback, api, publish]}",
		"authInternalUsers: []\nrtsp: yes\nrtspTransports: [tcp]\n")
	good, narrow := sign("/*"), sign("/other*")
	api := d.URL("api", "/v3/paths/list")
	wantChallenge(t, "API without a token", get(t, api), "streamgate")
	wantStatus(t, "API ?token=", get(t, api+"?token="+url.QueryEscape(good)), http.StatusOK)
	wantStatus(t, "API ?__token__=", get(t, api+"?__token__="+url.QueryEscape(good)), http.StatusOK)
	wantStatus(t, "API cookie", get(t, api, header("Cookie", "__token__="+good)), http.StatusOK)
	wantStatus(t, "API Bearer", get(t, api, bearer(good)), http.StatusOK)
	tampered := good[:len(good)-1] + map[bool]string{true: "0", false: "1"}[good[len(good)-1] != '0']
	wantStatus(t, "API tampered hmac", get(t, api+"?token="+url.QueryEscape(tampered)), http.StatusForbidden)

	publish := func(tok string) error {
		return rtspTryPublishURL("rtsp://" + d.Addr("rtsp") + "/cam?token=" + url.QueryEscape(tok))
	}
	if err := publish(good); err != nil {
		t.Errorf("RTSP publish with ?token=: %v", err)
	}
	// A token made by npm akamai-edgeauth works on both carriers too.
	npm := npmToken(t, "/*")
	wantStatus(t, "API ?token= from npm akamai-edgeauth", get(t, api+"?token="+url.QueryEscape(npm)), http.StatusOK)
	if err := publish(npm); err != nil {
		t.Errorf("RTSP publish with an npm akamai-edgeauth ?token=: %v", err)
	}
	if err := publish(narrow); err == nil {
		t.Error("RTSP publish with a token whose acl does not cover the path succeeded")
	}
}
