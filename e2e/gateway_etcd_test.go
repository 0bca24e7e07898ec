package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// traffic posts as one known user every ~50 ms, alternating an empty body
// (400) and a valid message (200), and records every other answer.
type traffic struct {
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	sent  int
	wrong []string
}

func startTraffic(t *testing.T, gw string, auth reqOpt) *traffic {
	t.Helper()
	tr := &traffic{stop: make(chan struct{}), done: make(chan struct{})}
	media := composeMedia(t, videoFrame("traffic", 1), "traffic").body
	client := newClient(2)
	client.Timeout = 5 * time.Second
	start := time.Now()
	go func() {
		defer close(tr.done)
		defer client.CloseIdleConnections()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-tr.stop:
				return
			case <-tick.C:
			}
			var a answer
			var err error
			want := http.StatusBadRequest
			if i%2 == 0 {
				a, err = tryPost(client, gw, "", nil, auth)
			} else {
				a, err = tryPost(client, gw, "application/protobuf", media, auth)
				want = http.StatusOK
			}
			tr.mu.Lock()
			tr.sent++
			switch {
			case err != nil:
				tr.wrong = append(tr.wrong, fmt.Sprintf("%s: %v", time.Since(start).Round(time.Millisecond), err))
			case a.status != want:
				tr.wrong = append(tr.wrong, fmt.Sprintf("%s: %d, want %d", time.Since(start).Round(time.Millisecond), a.status, want))
			}
			tr.mu.Unlock()
		}
	}()
	t.Cleanup(func() { tr.finish() })
	return tr
}

func (tr *traffic) finish() {
	select {
	case <-tr.stop:
	default:
		close(tr.stop)
	}
	<-tr.done
}

// waitSent waits until n more requests than now have been answered.
func (tr *traffic) waitSent(t *testing.T, n int) {
	t.Helper()
	tr.mu.Lock()
	want := tr.sent + n
	tr.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		tr.mu.Lock()
		sent := tr.sent
		tr.mu.Unlock()
		if sent >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("traffic: %d requests answered in 10 s, want %d", sent, want)
		}
	}
}

// check stops the traffic and reports every unexpected answer.
func (tr *traffic) check(t *testing.T, minSent int) {
	t.Helper()
	tr.finish()
	if len(tr.wrong) > 0 {
		t.Errorf("%d of %d requests by a known user were not answered 400/200: %v", len(tr.wrong), tr.sent, tr.wrong)
	}
	if tr.sent < minSent {
		t.Errorf("only %d requests were sent, want at least %d", tr.sent, minSent)
	}
	t.Logf("%d requests by a known user, %d unexpected answers", tr.sent, len(tr.wrong))
}

// wantAlive fails the test when the daemon has exited.
func wantAlive(t *testing.T, d *testharness.Daemon) {
	t.Helper()
	select {
	case <-d.Exited():
		t.Fatalf("streamgate exited during the etcd outage:\n%s", d.Logs())
	default:
	}
}

// trafficIntoOutage starts the user known's traffic through d's gateway,
// waits until it flows, calls cut and waits (within) for /ready to say
// 503 (what: the state, for messages). It returns the traffic and when cut
// returned.
func trafficIntoOutage(t *testing.T, d *testharness.Daemon, what string, within time.Duration, cut func()) (*traffic, time.Time) {
	t.Helper()
	ready := d.URL("gateway", "/ready")
	tr := startTraffic(t, d.URL("gateway", "/"), basicAuth("known", "password1"))
	tr.waitSent(t, 4) // flowing before the outage
	cut()
	at := time.Now()
	waitStatus(t, "/ready "+what, within, http.StatusServiceUnavailable, func() answer { return get(t, ready) })
	return tr, at
}

// A network partition from etcd (10 s): known users keep passing, /ready
// says 503, a user added meanwhile is accepted within 2 s of the partition
// ending, and /ready says 200 again.
func TestGatewaySurvivesEtcdPartition(t *testing.T) {
	t.Parallel()
	const outage = 10 * time.Second
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/known", userRecord(seedHash1, ""))
	p := testharness.StartProxy(t, e.Addr())
	d := testharness.Start(t, etcdGatewayConfig(e, "https://"+p.Addr(), testharness.IPCEndpoint(t, "outage"), ""))
	gw, ready := d.URL("gateway", "/"), d.URL("gateway", "/ready")
	newbie := func() answer { return post(t, gw, "", nil, basicAuth("newbie", "password")) }
	wantChallenge(t, "a user not in etcd yet", newbie(), "e2e-gw")

	tr, cut := trafficIntoOutage(t, d, "while etcd is unreachable", 5*time.Second, p.Cut)
	// Written straight to etcd, which the daemon cannot see.
	e.Put(t, "/users/newbie", userRecord(seedHash0, ""))
	for time.Since(cut) < outage {
		wantAlive(t, d)
		wantStatus(t, "/ready during the outage", get(t, ready), http.StatusServiceUnavailable)
		wantStatus(t, "/health during the outage", get(t, d.URL("gateway", "/health")), http.StatusOK)
		time.Sleep(500 * time.Millisecond)
	}
	p.Restore()
	waitStatus(t, "the user added during the outage", 2*time.Second, http.StatusBadRequest, newbie)
	waitStatus(t, "/ready after the outage", 2*time.Second, http.StatusOK, func() answer { return get(t, ready) })
	tr.waitSent(t, 4) // answered after the outage too
	tr.check(t, int(outage/(100*time.Millisecond)))
	wantAlive(t, d)
}

// etcd itself killed and restarted (5 s down): the same, with the store
// reconnecting to a new etcd process on the same address.
func TestGatewaySurvivesEtcdRestart(t *testing.T) {
	t.Parallel()
	const outage = 5 * time.Second
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/known", userRecord(seedHash1, ""))
	d := testharness.Start(t, etcdGatewayConfig(e, e.Endpoint(), testharness.IPCEndpoint(t, "restart"), ""))
	gw, ready := d.URL("gateway", "/"), d.URL("gateway", "/ready")

	tr, stopped := trafficIntoOutage(t, d, "while etcd is down", 4*time.Second, e.Stop)
	for time.Since(stopped) < outage {
		wantAlive(t, d)
		time.Sleep(250 * time.Millisecond)
	}
	e.Restart()
	e.Put(t, "/users/newbie", userRecord(seedHash0, ""))
	waitStatus(t, "a user put right after etcd restarted", 2*time.Second, http.StatusBadRequest,
		func() answer { return post(t, gw, "", nil, basicAuth("newbie", "password")) })
	waitStatus(t, "/ready after etcd restarted", 2*time.Second, http.StatusOK, func() answer { return get(t, ready) })
	tr.check(t, int(outage/(100*time.Millisecond)))

	// SIGTERM while etcd is down again: a clean, prompt exit.
	e.Stop()
	waitStatus(t, "/ready while etcd is down again", 4*time.Second, http.StatusServiceUnavailable,
		func() answer { return get(t, ready) })
	start := time.Now()
	if code := d.Stop(t); code != 0 {
		t.Errorf("streamgate exited with %d on SIGTERM while etcd was down, want 0", code)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("streamgate took %s to exit on SIGTERM while etcd was down", el)
	}
}

// A malformed record refuses that user only, at load and on a change; a
// fixed record lets the user in again.
func TestGatewayMalformedEtcdRecords(t *testing.T) {
	t.Parallel()
	const (
		badPHC  = "$argon2i$v=19$m=12,t=3,p=1$not*base64$VxVMw2Omh1CeVqry8Cay"
		zeroT   = "$argon2i$v=19$m=12,t=0,p=1$YXkzZmx1eTFwVW5hZ0R2S1dXazA$VxVMw2Omh1CeVqry8Cay+4OZ69OGvn4fma2M5rURZhI"
		goodRec = `{"password_hash": "` + seedHash1 + `"}`
	)
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/good", userRecord(seedHash2, ""))
	e.Put(t, "/users/victim", goodRec)
	e.Put(t, "/users/badatstart", `{"password_hash": "`+seedHash1+`",}`)
	d := testharness.Start(t, etcdGatewayConfig(e, e.Endpoint(), testharness.IPCEndpoint(t, "malformed"), ""))
	gw := d.URL("gateway", "/")
	victim := func() answer { return post(t, gw, "", nil, basicAuth("victim", "password1")) }
	others := func(what string) {
		t.Helper()
		wantStatus(t, "good user, "+what, post(t, gw, "", nil, basicAuth("good", "password2")), http.StatusBadRequest)
	}
	wantChallenge(t, "a user whose record was malformed at load", post(t, gw, "", nil, basicAuth("badatstart", "password1")), "e2e-gw")
	wantStatus(t, "victim before", victim(), http.StatusBadRequest)
	others("at start")

	for _, c := range []struct{ name, record string }{
		{"bad JSON", `{"password_hash": "` + seedHash1 + `"`},
		{"not an object", `"` + seedHash1 + `"`},
		{"bad PHC", `{"password_hash": "` + badPHC + `"}`},
		{"t=0 in the PHC", `{"password_hash": "` + zeroT + `"}`},
		{"a plain password", `{"password_hash": "password1"}`},
		{"unknown key", `{"password_hash": "` + seedHash1 + `", "password": "password1"}`},
		{"bad label rule", `{"password_hash": "` + seedHash1 + `", "allowed_routing_labels": {"maybe": "cam"}}`},
		{"no hash", `{"allowed_routing_labels": {"set": "cam"}}`},
	} {
		e.Put(t, "/users/victim", c.record)
		waitStatus(t, "victim with "+c.name, 2*time.Second, http.StatusUnauthorized, victim)
		others("while victim has " + c.name)
		e.Put(t, "/users/victim", goodRec)
		waitStatus(t, "victim fixed after "+c.name, 2*time.Second, http.StatusBadRequest, victim)
	}
	// A deleted user is refused; put back, accepted.
	e.Delete(t, "/users/victim")
	waitStatus(t, "victim deleted", 2*time.Second, http.StatusUnauthorized, victim)
	others("after victim was deleted")
	e.Put(t, "/users/victim", goodRec)
	waitStatus(t, "victim put back", 2*time.Second, http.StatusBadRequest, victim)
	e.Put(t, "/users/badatstart", goodRec)
	waitStatus(t, "the user malformed at load, fixed", 2*time.Second, http.StatusBadRequest,
		func() answer { return post(t, gw, "", nil, basicAuth("badatstart", "password1")) })
	if got := d.LogEntriesWhere("malformed etcd user record; the user is refused"); len(got) < 9 {
		t.Errorf("%d malformed records logged, want at least 9", len(got))
	}
	assertNotLogged(t, d, seedHash1, seedHash2, "VxVMw2Omh1CeVqry8Cay", "password1")
}

// `streamgate user put` writes a record the running daemon accepts.
func TestUserPutCommandAddsAGatewayUser(t *testing.T) {
	t.Parallel()
	e := testharness.StartEtcd(t)
	d := testharness.Start(t, etcdGatewayConfig(e, e.Endpoint(), testharness.IPCEndpoint(t, "userput"), ""))
	gw := d.URL("gateway", "/")
	auth := basicAuth("cliuser", "cli-pass-1")
	wantChallenge(t, "cliuser before user put", post(t, gw, "", nil, auth), "e2e-gw")

	out, errOut, code := testharness.RunCLI(t, "cli-pass-1\n", "user", "put", "cliuser", "--etcd", e.Endpoint(),
		"--cacert", e.CAFile, "--cert", e.CertFile, "--key", e.KeyFile, "--labels", `{"set":"cam"}`)
	if code != 0 {
		t.Fatalf("streamgate user put: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The record is seed 001's schema with an argon2 PHC, not the password.
	c := e.Client(t)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, "/users/cliuser")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get /users/cliuser: %v", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(resp.Kvs[0].Value, &rec); err != nil {
		t.Fatalf("the record is not JSON: %v", err)
	}
	if h, _ := rec["password_hash"].(string); !strings.HasPrefix(h, "$argon2") || strings.Contains(string(resp.Kvs[0].Value), "cli-pass-1") {
		t.Errorf("record %s: want an argon2 PHC password_hash and no password", resp.Kvs[0].Value)
	}
	if rule, _ := rec["allowed_routing_labels"].(map[string]any); rule["set"] != "cam" {
		t.Errorf("record %s: allowed_routing_labels is not {\"set\":\"cam\"}", resp.Kvs[0].Value)
	}
	waitStatus(t, "cliuser after user put", 2*time.Second, http.StatusBadRequest, func() answer { return post(t, gw, "", nil, auth) })
	wantStatus(t, `cliuser, labels ["cam"]`, postMedia(t, gw, composeMedia(t, videoFrame("cam1", 1, "cam"), "cam1").body, auth), http.StatusOK)
	wantStatus(t, `cliuser, labels ["other"]`, postMedia(t, gw, composeMedia(t, videoFrame("cam1", 2, "other"), "cam1").body, auth), http.StatusForbidden)
	wantChallenge(t, "cliuser, wrong password", post(t, gw, "", nil, basicAuth("cliuser", "cli-pass-2")), "e2e-gw")

	// Without the client certificate etcd refuses the write.
	_, _, code = testharness.RunCLI(t, "x\n", "user", "put", "other", "--etcd", e.Endpoint(), "--cacert", e.CAFile, "--timeout", "2s")
	if code == 0 {
		t.Errorf("user put without a client certificate succeeded")
	}
}
