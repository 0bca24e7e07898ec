package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

const lockVictim, lockVictimPass = "victim", "victim-secret-9"

// startClusterLockDaemons runs RTSP daemons named names (default a, b, c) in one cluster
// on e: the quarantine's pair limit is 3 (names and addresses unlimited),
// counts flushed every 200 ms.
func startClusterLockDaemons(t *testing.T, e *testharness.Etcd, names ...string) []*testharness.Daemon {
	t.Helper()
	secret := clusterSecretFile(t, t.TempDir(), "e2e cluster secret 0123456789")
	var ds []*testharness.Daemon
	if len(names) == 0 {
		names = []string{"a", "b", "c"}
	}
	for _, name := range names {
		cfg := fmt.Sprintf(`
rtsp: yes
rtspTransports: [tcp]
metrics: yes
authQuarantine: {failedAttemptLimit: 3, userFailedAttemptLimit: 0, ipFailedAttemptLimit: 0, period: 1h}
cluster:
  enabled: yes
  name: %s
  etcd: {endpoints: [%s], tls: {ca: %s, cert: %s, key: %s}, dialTimeout: 5s}
  prefix: /e2e/cluster
  advertiseAddress: 127.0.0.1:0
  secretFile: %s
  quarantineInterval: 200ms
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish}]}
- {user: %s, pass: %s, permissions: [{action: read}]}
- {user: %s, pass: %s, permissions: [{action: api}, {action: metrics}]}
- {user: %s, pass: %s, permissions: [{action: read}]}
paths:
  cam: {}
  cam2: {}
`, name, e.Endpoint(), e.CAFile, e.CertFile, e.KeyFile, secret,
			rtspPubUser, rtspPubPass, rtspReadUser, rtspReadPass, rtspAdminUser, rtspAdminPass, lockVictim, lockVictimPass)
		ds = append(ds, testharness.Start(t, cfg, testharness.WithMetricsAuth(rtspAdminUser, rtspAdminPass)))
	}
	waitClusterListed(t, len(ds), ds...)
	return ds
}

// Issue 18 item 4: three wrong passwords of one name, one on each of
// three instances, reach the pair limit (3) of the cluster: the name is
// quarantined from that address on all three — the right password is
// refused as a wrong one is, everywhere.
func TestClusterQuarantineSpreadOverInstances(t *testing.T) {
	rtspRequireFFmpeg(t)
	e := testharness.StartEtcd(t)
	ds := startClusterLockDaemons(t, e)
	for i, d := range ds {
		// The right password logs in (no stream yet: 404), so the refusal
		// below is the quarantine's.
		if err := rtspDescribe(rtspURL(d, lockVictim, lockVictimPass, "cam")); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("instance %d: right password before the guesses: %v, want 404 (no stream)", i, err)
		}
	}
	for i, d := range ds {
		err := rtspDescribe(rtspURL(d, lockVictim, fmt.Sprintf("guess-%d", i), "cam"))
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("instance %d: wrong password: %v, want 401", i, err)
		}
	}
	for i, d := range ds {
		started := func() float64 {
			return d.Metric(t, "streamgate_auth_quarantines_started_total", map[string]string{"scope": "user_ip"}) +
				d.Metric(t, "streamgate_cluster_quarantine_peer_started_total", map[string]string{"scope": "user_ip"})
		}
		testharness.WaitEvery(t, fmt.Sprintf("the quarantine on instance %d", i), 20*time.Second, clusterPoll, func() bool { return started() >= 1 })
		err := rtspDescribe(rtspURL(d, lockVictim, lockVictimPass, "cam"))
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("instance %d: right password while quarantined: %v, want 401", i, err)
		}
		if n := d.Metric(t, "streamgate_auth_quarantined_total", map[string]string{"scope": "user_ip"}); n < 1 {
			t.Fatalf("instance %d: streamgate_auth_quarantined_total{scope=user_ip} = %v, want ≥ 1", i, n)
		}
	}
	peerStarted := 0.0
	for _, d := range ds {
		peerStarted += d.Metric(t, "streamgate_cluster_quarantine_peer_started_total", map[string]string{"scope": "user_ip"})
	}
	if peerStarted < 1 {
		t.Fatal("no instance began the quarantine from its peers' counts: the counts were not shared")
	}
	for _, d := range ds {
		assertNotLogged(t, d, lockVictimPass, "e2e cluster secret")
	}
}

// Issue 18 item 4: POST /v3/cluster/kick on B ends the user's sessions on
// A and C (readers), not the other users' (publishers); 503 with etcd
// away, 400 for a bad body.
func TestClusterKickEndsSessionsEverywhere(t *testing.T) {
	e := testharness.StartEtcd(t)
	ds := startClusterLockDaemons(t, e)
	a, b, c := ds[0], ds[1], ds[2]
	var readers []*rtspGoReader
	// One path an instance: a second publisher of a path on another
	// instance would be refused (the registry).
	for d, path := range map[*testharness.Daemon]string{a: "cam", c: "cam2"} {
		rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, path))
		rtspWaitPath(t, d, path, 10*time.Second, func(p rtspAPIPath) bool { return p.Ready })
		r, err := rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, path))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		readers = append(readers, r)
	}
	ended := make([]chan error, len(readers))
	for i, r := range readers {
		ended[i] = make(chan error, 1)
		go func() { ended[i] <- r.c.Wait() }()
	}
	wantStatus(t, "kick without a body", apiCall(t, b, http.MethodPost, "/v3/cluster/kick", "{}"), http.StatusBadRequest)
	got := apiCall(t, b, http.MethodPost, "/v3/cluster/kick", `{"user":"`+rtspReadUser+`"}`)
	wantStatus(t, "kick on b", got, http.StatusOK)
	if !strings.Contains(got.body, `"kicked": 0`) {
		t.Errorf("kick on b: %s, want kicked 0 (no session of the user on b)", got.body)
	}
	for i, ch := range ended {
		select {
		case <-ch:
		case <-time.After(15 * time.Second):
			t.Fatalf("reader %d still playing after the cluster kick", i)
		}
	}
	for d, path := range map[*testharness.Daemon]string{a: "cam", c: "cam2"} {
		if n := d.Metric(t, "streamgate_cluster_kick_sessions_ended_total", nil); n != 1 {
			t.Errorf("streamgate_cluster_kick_sessions_ended_total = %v, want 1", n)
		}
		if p := rtspWaitPath(t, d, path, time.Second, func(p rtspAPIPath) bool { return p.Ready }); !p.Ready {
			t.Error("the publisher was kicked too")
		}
	}
	// A kick answered on the instance holding the session counts it.
	r, err := rtspGoRead(rtspURL(a, rtspReadUser, rtspReadPass, "cam"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got = apiCall(t, a, http.MethodPost, "/v3/cluster/kick", `{"user":"`+rtspReadUser+`"}`)
	if got.status != http.StatusOK || !strings.Contains(got.body, `"kicked": 1`) {
		t.Fatalf("kick on a with a local reader: %d %s, want 200 kicked 1", got.status, got.body)
	}
	e.Stop()
	wantStatus(t, "kick with etcd stopped", apiCall(t, b, http.MethodPost, "/v3/cluster/kick", `{"user":"x"}`), http.StatusServiceUnavailable)
}

// etcd stopped: a cluster instance's quarantine goes on with its own
// counts (wrong passwords still quarantine, right ones of others still log
// in) and says so in streamgate_cluster_quarantine_shared; etcd back → the
// counts made meanwhile reach the peer.
func TestClusterQuarantineEtcdDown(t *testing.T) {
	rtspRequireFFmpeg(t)
	e := testharness.StartEtcd(t)
	ds := startClusterLockDaemons(t, e, "a", "b")
	a, b := ds[0], ds[1]
	shared := func(d *testharness.Daemon) float64 {
		return d.Metric(t, "streamgate_cluster_quarantine_shared", nil)
	}
	e.Stop()
	for i := range 3 {
		if err := rtspDescribe(rtspURL(a, lockVictim, fmt.Sprintf("guess-%d", i), "cam")); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("wrong password with etcd stopped: %v, want 401", err)
		}
	}
	if err := rtspDescribe(rtspURL(a, lockVictim, lockVictimPass, "cam")); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("right password after 3 wrong ones, etcd stopped: %v, want 401 (the local quarantine)", err)
	}
	if err := rtspDescribe(rtspURL(a, rtspReadUser, rtspReadPass, "cam")); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("another user with etcd stopped: %v, want 404 (logged in, no stream)", err)
	}
	testharness.WaitEvery(t, "a saying it counts locally", 20*time.Second, clusterPoll, func() bool { return shared(a) == 0 })
	if !strings.Contains(a.Logs(), "etcd unreachable: quarantine counts locally") {
		t.Error("no log line says the quarantine counts locally")
	}
	e.Restart()
	testharness.WaitEvery(t, "a sharing again", 30*time.Second, clusterPoll, func() bool { return shared(a) == 1 })
	testharness.WaitEvery(t, "b beginning the quarantine from a's counts", 30*time.Second, clusterPoll, func() bool {
		return b.Metric(t, "streamgate_cluster_quarantine_peer_started_total", map[string]string{"scope": "user_ip"}) >= 1
	})
	if err := rtspDescribe(rtspURL(b, lockVictim, lockVictimPass, "cam")); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("b: right password after a's quarantine: %v, want 401", err)
	}
}
