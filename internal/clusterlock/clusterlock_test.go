package clusterlock

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/cluster"
	"github.com/streamgate/streamgate/internal/testharness"
)

var (
	alice = "alice"
	ipA   = netip.MustParseAddr("192.0.2.7")
)

func limits() authn.QuarantineLimits {
	return authn.QuarantineLimits{PairLimit: 3, UserLimit: 6, IPLimit: 50, Period: time.Minute, MaxTracked: 1000,
		TrustedAddresses: 4, TrustedPeriod: time.Hour}
}

// node is one simulated instance: a quarantine and its Lock.
type node struct {
	q *authn.Quarantine
	l *Lock
}

func etcdConfig(e *testharness.Etcd) cluster.EtcdOptions {
	return cluster.EtcdOptions{Endpoints: []string{e.Endpoint()}, CA: e.CAFile, Cert: e.CertFile, Key: e.KeyFile,
		DialTimeout: 5 * time.Second}
}

func startNode(t testing.TB, e *testharness.Etcd, name string, interval time.Duration, onKick func(func(string) bool) int) *node {
	t.Helper()
	q := authn.NewQuarantine(limits())
	l, err := Start(Options{Etcd: etcdConfig(e), Prefix: "/sg/cluster", Name: name, Secret: []byte("s3cret cluster"),
		Interval: interval, Period: time.Minute, TrustedPeriod: time.Hour, OnKick: onKick, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler)}, q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return &node{q: q, l: l}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testharness.WaitEvery(t, what, 20*time.Second, 10*time.Millisecond, cond)
}

func blocked(n *node, user string, ip netip.Addr) bool {
	b, _ := n.q.Blocked(user, ip)
	return b
}

// Three failures of one name from one address, one on each of three
// instances, reach the pair limit (3): the name is quarantined from that
// address on all three, though none counted more than one.
func TestSpreadFailuresQuarantineEverywhere(t *testing.T) {
	e := testharness.StartEtcd(t)
	nodes := []*node{startNode(t, e, "a", 100*time.Millisecond, nil), startNode(t, e, "b", 100*time.Millisecond, nil),
		startNode(t, e, "c", 100*time.Millisecond, nil)}
	for i, n := range nodes {
		n.q.Fail(alice, true, ipA, uint64(i+1))
		if blocked(n, alice, ipA) {
			t.Fatalf("instance %d quarantined after its single failure", i)
		}
	}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("the quarantine on instance %d", i), func() bool { return blocked(n, alice, ipA) })
		if _, scope := n.q.Blocked(alice, ipA); scope != authn.ScopeUserIP {
			t.Fatalf("instance %d: scope %q, want %q", i, scope, authn.ScopeUserIP)
		}
	}
	// Another address is not held (the pair scope), another name neither.
	if blocked(nodes[0], alice, netip.MustParseAddr("192.0.2.8")) || blocked(nodes[1], "bob", ipA) {
		t.Fatal("the quarantine holds another address or name")
	}
	// Per name: 6 failures from 6 addresses spread over the instances.
	for i := range 6 {
		nodes[i%3].q.Fail("carol", true, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), uint64(100+i))
	}
	other := netip.MustParseAddr("203.0.113.9")
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("carol's quarantine on instance %d", i), func() bool { return blocked(n, "carol", other) })
	}
}

// A successful login on one instance trusts its address for the name on
// every instance: the per-name quarantine spares the owner's usual place
// wherever the load balancer sends her.
func TestTrustedAddressShared(t *testing.T) {
	e := testharness.StartEtcd(t)
	a := startNode(t, e, "a", 100*time.Millisecond, nil)
	b := startNode(t, e, "b", 100*time.Millisecond, nil)
	home := netip.MustParseAddr("198.51.100.200")
	a.q.Succeed(alice, home)
	waitFor(t, "a's trusted address flushed", func() bool { return testutil.ToFloat64(a.l.m.written) >= 1 })
	// 6 failures of alice from 6 addresses, all on b: the name is
	// quarantined on b, except from home.
	for i := range 6 {
		b.q.Fail(alice, true, netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + i)}), uint64(i+1))
	}
	if !blocked(b, alice, netip.MustParseAddr("203.0.113.1")) {
		t.Fatal("b: alice not quarantined after 6 failures")
	}
	waitFor(t, "b trusting alice's home address", func() bool { return !blocked(b, alice, home) })
	waitFor(t, "a's view of the name quarantine", func() bool { return blocked(a, alice, netip.MustParseAddr("203.0.113.1")) })
	if blocked(a, alice, home) {
		t.Fatal("a: alice quarantined at her trusted address")
	}
}

// Records name no user and no address.
func TestRecordsAreKeyedHashes(t *testing.T) {
	e := testharness.StartEtcd(t)
	n := startNode(t, e, "a", 50*time.Millisecond, nil)
	n.q.Fail("victim-name", true, netip.MustParseAddr("192.0.2.77"), 1)
	waitFor(t, "a flush", func() bool { return testutil.ToFloat64(n.l.m.flushes) >= 1 })
	c := e.Client(t)
	defer c.Close()
	resp, err := c.Get(context.Background(), "/sg/cluster/quarantine/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 3 {
		t.Fatalf("%d records, want 3 (pair, user, ip)", len(resp.Kvs))
	}
	for _, kv := range resp.Kvs {
		for _, s := range []string{"victim", "192.0.2.77", "192.0.2"} {
			if strings.Contains(string(kv.Key), s) || strings.Contains(string(kv.Value), s) {
				t.Fatalf("record %s = %s names %q", kv.Key, kv.Value, s)
			}
		}
		if kv.Lease == 0 {
			t.Fatalf("record %s has no lease", kv.Key)
		}
	}
}

// Failures are flushed in one transaction per interval, not one write per
// failure.
func TestFlushesAreBatched(t *testing.T) {
	e := testharness.StartEtcd(t)
	const interval = 200 * time.Millisecond
	n := startNode(t, e, "a", interval, nil)
	start := time.Now()
	const failures = 300
	for i := range failures {
		// 10 names × 10 addresses: up to 120 keys, one transaction each flush.
		n.q.Fail(fmt.Sprintf("user%d", i%10), true, netip.AddrFrom4([4]byte{10, 0, byte(i / 10 % 10), 1}), uint64(i))
		if i%30 == 0 {
			time.Sleep(interval / 4)
		}
	}
	// Wait until every count is written (the last flush after the last failure).
	waitFor(t, "the last flush", func() bool {
		n.l.pendMu.Lock()
		defer n.l.pendMu.Unlock()
		return len(n.l.pending) == 0
	})
	elapsed := time.Since(start)
	flushes := testutil.ToFloat64(n.l.m.flushes)
	bound := float64(elapsed/interval) + 2 // a partial interval at each end
	t.Logf("%d failures over %v: %v transactions, %v records written", failures, elapsed.Round(time.Millisecond),
		flushes, testutil.ToFloat64(n.l.m.written))
	if flushes < 1 || flushes > bound {
		t.Fatalf("%v transactions for %d failures over %v; want 1..%v", flushes, failures, elapsed, bound)
	}
}

// etcd stopped: the local quarantine goes on (and says so); counts made
// meanwhile reach the peers once etcd is back.
func TestEtcdDownLocalQuarantineThenRecovers(t *testing.T) {
	e := testharness.StartEtcd(t)
	a := startNode(t, e, "a", 100*time.Millisecond, nil)
	b := startNode(t, e, "b", 100*time.Millisecond, nil)
	// Shared first: one failure on b is known to a.
	b.q.Fail(alice, true, ipA, 1)
	waitFor(t, "b's count flushed", func() bool { return testutil.ToFloat64(b.l.m.flushes) >= 1 })

	e.Stop()
	for i := range 3 {
		a.q.Fail(alice, true, ipA, uint64(10+i))
	}
	if !blocked(a, alice, ipA) {
		t.Fatal("a: no local quarantine while etcd is down")
	}
	waitFor(t, "a reporting that it counts locally", func() bool { return testutil.ToFloat64(a.l.m.shared) == 0 })
	waitFor(t, "b, with nothing to flush, reporting etcd away", func() bool { return testutil.ToFloat64(b.l.m.shared) == 0 })
	if blocked(b, alice, ipA) {
		t.Fatal("b quarantined without etcd: its counts came from nowhere")
	}
	// Another pair fails on a while etcd is away; b must learn it after.
	ipB := netip.MustParseAddr("192.0.2.99")
	for i := range 3 {
		a.q.Fail("dave", true, ipB, uint64(20+i))
	}
	if !blocked(a, "dave", ipB) {
		t.Fatal("a: the local quarantine of dave does not hold while etcd is down")
	}

	e.Restart()
	waitFor(t, "a sharing again", func() bool { return testutil.ToFloat64(a.l.m.shared) == 1 })
	waitFor(t, "b sharing again", func() bool { return testutil.ToFloat64(b.l.m.shared) == 1 })
	waitFor(t, "b learning alice's quarantine", func() bool { return blocked(b, alice, ipA) })
	waitFor(t, "b learning dave's quarantine", func() bool { return blocked(b, "dave", ipB) })
	if !blocked(a, alice, ipA) {
		t.Fatal("a unblocked alice after etcd came back")
	}
}

// A malformed record (value or key) is counted and ignored; the other
// keys' counts go on.
func TestMalformedRecordAffectsOnlyItsKey(t *testing.T) {
	e := testharness.StartEtcd(t)
	a := startNode(t, e, "a", 100*time.Millisecond, nil)
	b := startNode(t, e, "b", 100*time.Millisecond, nil)
	// The record of (alice, ipA) from a third instance "x", garbled.
	k := a.l.key(authn.ScopeUserIP, alice, ipA)
	e.Put(t, strings.Replace(a.l.recordKey(k), "/a", "/x", 1), "{not json")
	e.Put(t, "/sg/cluster/quarantine/user_ip/zz/x", `{"n":5,"w":0}`)
	e.Put(t, "/sg/cluster/quarantine/nonsense", `{"n":5}`)
	waitFor(t, "the malformed records counted", func() bool { return testutil.ToFloat64(a.l.m.malformed) >= 3 })
	for i := range 2 {
		b.q.Fail(alice, true, ipA, uint64(i+1))
	}
	a.q.Fail(alice, true, ipA, 9)
	waitFor(t, "alice's quarantine on a", func() bool { return blocked(a, alice, ipA) })
	waitFor(t, "alice's quarantine on b", func() bool { return blocked(b, alice, ipA) })
}

// A kick reaches the other instances with a matcher of the name alone.
func TestKickReachesPeers(t *testing.T) {
	e := testharness.StartEtcd(t)
	var got atomic.Value
	var calls atomic.Int64
	onKick := func(match func(string) bool) int {
		calls.Add(1)
		got.Store([]bool{match(alice), match("bob"), match("")})
		return 1
	}
	a := startNode(t, e, "a", time.Second, onKick)
	b := startNode(t, e, "b", time.Second, onKick)
	c3 := startNode(t, e, "c", time.Second, onKick)
	waitFor(t, "the kick watches", func() bool { return b.l.kickWatching.Load() && c3.l.kickWatching.Load() })
	if err := a.l.Kick(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b and c kicking", func() bool { return calls.Load() == 2 })
	if m := got.Load().([]bool); !m[0] || m[1] || m[2] {
		t.Fatalf("matcher (alice, bob, \"\") = %v, want [true false false]", m)
	}
	c := e.Client(t)
	defer c.Close()
	resp, err := c.Get(context.Background(), "/sg/cluster/kick/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if strings.Contains(string(kv.Value), alice) {
			t.Fatalf("kick record %s names the user", kv.Value)
		}
	}
	e.Stop()
	if err := a.l.Kick(context.Background(), alice); err != ErrUnavailable {
		t.Fatalf("kick with etcd stopped: %v, want ErrUnavailable", err)
	}
}

// An instance started while etcd is away starts (after a bounded wait),
// quarantines on its own counts, and joins when etcd answers.
func TestStartWithEtcdAway(t *testing.T) {
	e := testharness.StartEtcd(t)
	e.Stop()
	a := startNode(t, e, "a", 100*time.Millisecond, nil)
	for i := range 3 {
		a.q.Fail(alice, true, ipA, uint64(i+1))
	}
	if !blocked(a, alice, ipA) {
		t.Fatal("no local quarantine with etcd away at start")
	}
	e.Restart()
	b := startNode(t, e, "b", 100*time.Millisecond, nil)
	waitFor(t, "a's counts reaching b", func() bool { return blocked(b, alice, ipA) })
	waitFor(t, "a following kicks", a.l.kickWatching.Load)
}
