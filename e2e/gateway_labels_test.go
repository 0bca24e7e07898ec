package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// etcdGatewayConfig is a gateway authenticating internal users, then etcd
// users at endpoint (with e's certificates), forwarding to a PUB at ep.
// Quarantine is off: the tests poll for changes with wrong passwords.
func etcdGatewayConfig(e *testharness.Etcd, endpoint, ep, extra string) string {
	return fmt.Sprintf(`
api: no
gateway: yes
gatewayAddress: 127.0.0.1:0
authRealm: e2e-gw
authMethod: [internal, etcd]
authEtcd:
  endpoints: [%s]
  tls: {ca: %s, cert: %s, key: %s}
  dialTimeout: 5s
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
savant:
  url: pub+bind:%s
%s`, endpoint, e.CAFile, e.CertFile, e.KeyFile, ep, extra)
}

// Routing-label rules from etcd records and internal users' labels, the
// Shutdown refusal, and the gateway's answers to bad requests. Nothing
// refused may reach the Savant reader.
func TestGatewayLabelRulesAndRefusals(t *testing.T) {
	t.Parallel()
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/camuser", userRecord(seedHash1, `{"set": "cam"}`))
	e.Put(t, "/users/free", userRecord(seedHash2, ""))
	ep := testharness.IPCEndpoint(t, "labels")
	d := testharness.Start(t, etcdGatewayConfig(e, e.Endpoint(), ep, `
gatewayMaxBodySize: 1KiB
authInternalUsers:
- {user: labelled, pass: labelled-secret-1, permissions: [{action: gateway}], labels: {set: cam}}
`))
	gw := d.URL("gateway", "/")
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "sub", Endpoint: ep})
	free := basicAuth("free", "password2")
	primePub(t, gw, r, composeMedia(t, videoFrame("prime", 1, "other"), "prime"), free)
	n := len(r.Messages())

	// Shutdown is never forwarded, whoever sends it: nothing arrives.
	wantStatus(t, "Shutdown from a user without a rule",
		postMedia(t, gw, composeMedia(t, shutdownMessage(), "cam1").body, free), http.StatusForbidden)
	if got := r.Wait(n+1, time.Second); len(got) != n {
		t.Fatalf("a refused Shutdown reached the reader: %v", got[n:])
	}

	var allowed []mediaBody
	for _, u := range []struct {
		name string
		auth reqOpt
	}{{"etcd user", basicAuth("camuser", "password1")}, {"internal user", basicAuth("labelled", "labelled-secret-1")}} {
		ok := composeMedia(t, videoFrame("cam1", 1, "cam"), "cam1", annexB())
		wantStatus(t, u.name+`: labels ["cam"]`, postMedia(t, gw, ok.body, u.auth), http.StatusOK)
		allowed = append(allowed, ok)
		okMore := composeMedia(t, videoFrame("cam1", 2, "other", "cam"), "cam1")
		wantStatus(t, u.name+`: labels ["other", "cam"]`, postMedia(t, gw, okMore.body, u.auth), http.StatusOK)
		allowed = append(allowed, okMore)
		for _, c := range []struct {
			what string
			mb   mediaBody
		}{
			{`labels ["other"]`, composeMedia(t, videoFrame("cam1", 3, "other"), "cam1", annexB())},
			{"no labels", composeMedia(t, videoFrame("cam1", 4), "cam1")},
			{`labels ["Cam"]`, composeMedia(t, videoFrame("cam1", 5, "Cam"), "cam1")},
			{`EndOfStream with labels ["other"]`, composeMedia(t, endOfStream("cam1", 6, "other"), "cam1")},
			{`Shutdown with labels ["cam"]`, composeMedia(t, shutdownMessage("cam"), "cam1")},
		} {
			a := postMedia(t, gw, c.mb.body, u.auth)
			wantStatus(t, u.name+": "+c.what, a, http.StatusForbidden)
			if a.header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s: %s: a 403 carries a challenge %q", u.name, c.what, a.header.Get("WWW-Authenticate"))
			}
		}
	}
	// Only the allowed messages arrive, in order: an allowed message posted
	// after the refused ones marks the end (one PUB socket keeps the order),
	// so a refused one that leaked would come before it.
	marker := composeMedia(t, videoFrame("prime", 2, "other"), "prime")
	wantStatus(t, "an allowed message after the refused ones", postMedia(t, gw, marker.body, free), http.StatusOK)
	got := r.Wait(n+len(allowed)+1, 10*time.Second)[n:]
	if len(got) != len(allowed)+1 {
		t.Fatalf("the reader got %d messages, want the %d allowed ones and the last", len(got), len(allowed))
	}
	for i := range allowed {
		wantForwarded(t, fmt.Sprintf("allowed message %d", i), got[i], allowed[i])
	}
	wantForwarded(t, "the marker after the refused ones", got[len(allowed)], marker)
	n++ // the marker

	// Bad requests. Without credentials the answer is always the challenge.
	goodMB := composeMedia(t, videoFrame("cam1", 9, "cam"), "cam1")
	good := goodMB.body
	wantChallenge(t, "no credentials", postMedia(t, gw, good), "e2e-gw")
	wantChallenge(t, "wrong password", postMedia(t, gw, good, basicAuth("camuser", "password2")), "e2e-gw")
	wantChallenge(t, "unknown user", postMedia(t, gw, good, basicAuth("nobody", "password1")), "e2e-gw")
	big := composeMedia(t, videoFrame("cam1", 10, "cam"), "cam1", make([]byte, 2048)).body
	wantStatus(t, "body over gatewayMaxBodySize", postMedia(t, gw, big, free), http.StatusRequestEntityTooLarge)
	wantChallenge(t, "body over gatewayMaxBodySize without credentials", postMedia(t, gw, big), "e2e-gw")
	// Without a Content-Length the limit applies while reading.
	chunked := func(r *http.Request) { r.ContentLength = -1 }
	wantStatus(t, "chunked body over gatewayMaxBodySize", postMedia(t, gw, big, free, chunked), http.StatusRequestEntityTooLarge)
	wantStatus(t, "chunked body under gatewayMaxBodySize", postMedia(t, gw, good, free, chunked), http.StatusOK)
	allowed = append(allowed, goodMB)
	wantStatus(t, "wrong content type", post(t, gw, "application/json", good, free), http.StatusBadRequest)
	wantStatus(t, "no content type", post(t, gw, "", good, free), http.StatusBadRequest)
	wantStatus(t, "a body that is not protobuf", postMedia(t, gw, []byte("not a Media body\xff\xff"), free), http.StatusBadRequest)
	topicOnly := appendField(nil, 2, []byte("cam1"))
	wantStatus(t, "a Media without a message", postMedia(t, gw, topicOnly, free), http.StatusBadRequest)
	badTopic := composeMedia(t, videoFrame("cam1", 11), "cam1\xff").body
	wantStatus(t, "a topic that is not UTF-8", postMedia(t, gw, badTopic, free), http.StatusBadRequest)
	if got := r.Wait(n+len(allowed)+1, 500*time.Millisecond); len(got) != n+len(allowed) {
		t.Errorf("a refused request reached the reader")
	} else {
		wantForwarded(t, "chunked body", got[len(got)-1], goodMB)
	}
	// The refusals did not disturb the stream.
	last := composeMedia(t, videoFrame("cam1", 12, "cam"), "cam1", annexB())
	wantStatus(t, "allowed message after the refusals", postMedia(t, gw, last.body, basicAuth("camuser", "password1")), http.StatusOK)
	if got := r.Wait(n+len(allowed)+1, 2*time.Second); len(got) != n+len(allowed)+1 {
		t.Errorf("the last allowed message did not arrive")
	} else {
		wantForwarded(t, "last allowed message", got[len(got)-1], last)
	}
	logs := d.Logs()
	if !strings.Contains(logs, "refused a Shutdown message") {
		t.Errorf("the refused Shutdown was not logged")
	}
	assertNotLogged(t, d, "shutdown-secret", "labelled-secret-1", seedHash1, seedHash2)
}
