package e2e_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Every authentication logs one decision line (cache hits at debug level)
// with user, action, path, protocol, backend, result and reason; no
// password, in any form, is ever logged.
func TestDecisionLog(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
logLevel: debug
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: loguser, pass: log-secret-77, permissions: [{action: api}]}
- {user: reader, pass: reader-secret-99, permissions: [{action: read}]}
`)
	api := d.URL("api", "/v3/paths/list")
	type want struct{ user, backend, result, reason string }
	steps := []struct {
		opts []reqOpt
		want want
	}{
		{[]reqOpt{basicAuth("loguser", "log-secret-77")}, want{"loguser", "internal", "granted", ""}},
		{[]reqOpt{basicAuth("loguser", "log-secret-77")}, want{"loguser", "internal", "granted", ""}}, // cache hit
		{[]reqOpt{basicAuth("loguser", "log-wrong-88")}, want{"loguser", "internal", "denied", "wrong password"}},
		{[]reqOpt{basicAuth("ghost", "ghost-pass-66")}, want{"ghost", "none", "denied", "unknown user"}},
		{[]reqOpt{basicAuth("reader", "reader-secret-99")}, want{"reader", "internal", "forbidden", "no permission"}},
		{nil, want{"", "none", "ask", "no credentials"}},
		{[]reqOpt{bearer("loguser:log-secret-77")}, want{"loguser", "internal", "granted", ""}},
	}
	for _, s := range steps {
		get(t, api, s.opts...)
	}
	got := d.WaitLogCount("auth decision", len(steps), 5*time.Second)
	if len(got) != len(steps) {
		t.Fatalf("%d auth decision lines for %d requests:\n%s", len(got), len(steps), d.Logs())
	}
	for i, s := range steps {
		e := got[i]
		for _, k := range []string{"user", "action", "path", "protocol", "backend", "result", "reason", "granted", "ip"} {
			if _, ok := e[k]; !ok {
				t.Errorf("decision %d has no %q: %v", i, k, e)
			}
		}
		if e["user"] != s.want.user || e["backend"] != s.want.backend || e["result"] != s.want.result ||
			e["reason"] != s.want.reason || e["action"] != "api" || e["protocol"] != "http" || e["path"] != "" ||
			e["ip"] != "127.0.0.1" || e["granted"] != (s.want.result == "granted") {
			t.Errorf("decision %d: %v, want %+v action=api protocol=http path=\"\" ip=127.0.0.1", i, e, s.want)
		}
	}
	if got[1]["cached"] != true || got[1]["level"] != "DEBUG" {
		t.Errorf("the repeated login is not logged as a cached debug line: %v", got[1])
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	assertNotLogged(t, d, "log-secret-77", "log-wrong-88", "ghost-pass-66", "reader-secret-99",
		b64("loguser:log-secret-77"), b64("loguser:log-wrong-88"))
}
