package cluster_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/cluster"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/stream"
)

// member is one instance of a test cluster: its hub and membership.
type member struct {
	hub *stream.Hub
	c   *cluster.Cluster
	reg *prometheus.Registry // the cluster's metrics
}

func newMember(t *testing.T, e *testharness.Etcd, name, addr string) *member {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	find := func(string) (*stream.PathOptions, bool) {
		return &stream.PathOptions{ConfName: "all_others", Publisher: true}, true
	}
	hub := stream.NewHub(find, prometheus.NewRegistry(), logger)
	reg := prometheus.NewRegistry()
	c, err := cluster.New(cluster.Options{Name: name, Prefix: "/test/cluster",
		Etcd:             cluster.EtcdOptions{Endpoints: []string{e.Endpoint()}, CA: e.CAFile, Cert: e.CertFile, Key: e.KeyFile, DialTimeout: 2 * time.Second},
		AdvertiseAddress: addr, LeaseTTL: 2 * time.Second, Secret: []byte("s3cret")}, hub, nil, reg, logger)
	if err != nil {
		t.Fatal(err)
	}
	hub.SetClaim(c.Claim)
	c.Start()
	t.Cleanup(c.Close)
	return &member{hub: hub, c: c, reg: reg}
}

// gauges are the member's registry gauges: instances, paths, relays running.
func (m *member) gauges(t *testing.T) [3]float64 {
	t.Helper()
	var g [3]float64
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"streamgate_cluster_instances", "streamgate_cluster_paths", "streamgate_cluster_relays_running"} {
		for _, f := range fams {
			if f.GetName() == name {
				g[i] = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
	}
	return g
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testharness.WaitEvery(t, what, within, 20*time.Millisecond, cond)
}

func desc() *description.Session {
	return &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1}}}}}
}

// twoMembers starts etcd and the instances a (127.0.0.1:8554) and b
// (127.0.0.1:9554), and waits until each lists both.
func twoMembers(t *testing.T) (*testharness.Etcd, *member, *member) {
	e := testharness.StartEtcd(t)
	a := newMember(t, e, "a", "127.0.0.1:8554")
	b := newMember(t, e, "b", "127.0.0.1:9554")
	eventually(t, 10*time.Second, "both registered", func() bool {
		return slices.Equal(members(a), []string{"a", "b"}) && slices.Equal(members(b), []string{"a", "b"})
	})
	return e, a, b
}

// publishCamOnA publishes cam on a with src and waits until b sees a as
// its owner.
func publishCamOnA(t *testing.T, a, b *member, src stream.SourceInfo) *stream.Publication {
	t.Helper()
	pa, err := a.hub.Publish("cam", desc(), src)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b sees cam on a", func() bool { return b.c.Owner("cam") == "a" })
	return pa
}

func members(m *member) []string {
	ms, err := m.c.Members()
	if err != nil {
		return nil
	}
	var out []string
	for _, x := range ms {
		out = append(out, x.Name)
	}
	return out
}

// TestRegistry: instances register under their lease; a path published on
// one is refused on another, relayed by the others, taken over with
// overridePublisher (the first publisher ends), and leaves the registry on
// unpublish and with its instance.
func TestRegistry(t *testing.T) {
	_, a, b := twoMembers(t)

	pa := publishCamOnA(t, a, b, stream.SourceInfo{Protocol: "rtsp"})
	if _, err := b.hub.Publish("cam", desc(), stream.SourceInfo{Protocol: "rtsp"}); !errors.Is(err, stream.ErrBusy) {
		t.Fatalf("second publisher on b: %v, want ErrBusy", err)
	}
	if d, o, ok := b.c.Demand("cam", cluster.RelayTimings{}); !ok || d == nil || !o.OnDemand || o.Refusal != nil {
		t.Fatalf("b has no relay demand for cam: %v %+v %v", d, o, ok)
	}
	if g := b.gauges(t); g != [3]float64{2, 1, 1} {
		t.Fatalf("b's instances, paths, relays running: %v, want [2 1 1]", g)
	}
	// A path's own timings, else the defaults (10 s).
	if _, o, ok := b.c.Demand("cam", cluster.RelayTimings{StartTimeout: 3 * time.Second, CloseAfter: 7 * time.Second}); !ok ||
		o.StartTimeout != 3*time.Second || o.CloseAfter != 7*time.Second {
		t.Fatalf("relay timings %v/%v, want the path's 3s/7s", o.StartTimeout, o.CloseAfter)
	}
	if _, o, _ := b.c.Demand("cam", cluster.RelayTimings{}); o.StartTimeout != 10*time.Second || o.CloseAfter != 10*time.Second {
		t.Fatalf("default relay timings %v/%v, want 10s/10s", o.StartTimeout, o.CloseAfter)
	}
	if _, _, ok := a.c.Demand("cam", cluster.RelayTimings{}); ok {
		t.Fatal("a relays its own path")
	}
	if _, _, ok := b.c.Demand("nobody", cluster.RelayTimings{}); ok {
		t.Fatal("a relay for a path nobody publishes")
	}

	// The peer credential's address check.
	if !b.c.IsPeer("a", netip.MustParseAddr("127.0.0.1")) || b.c.IsPeer("a", netip.MustParseAddr("127.0.0.2")) ||
		b.c.IsPeer("b", netip.MustParseAddr("127.0.0.1")) || b.c.IsPeer("zz", netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("IsPeer wrong")
	}

	// Unpublish: the path leaves the registry.
	pa.Close()
	eventually(t, 5*time.Second, "cam gone", func() bool { return b.c.Owner("cam") == "" })

	// Takeover: b publishes with override, a's publisher ends.
	pa = publishCamOnA(t, a, b, stream.SourceInfo{Protocol: "rtsp"})
	release, err := b.c.Claim("cam", stream.SourceInfo{Protocol: "rtsp"}, true)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-pa.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a's publisher not ended by b's takeover")
	}
	eventually(t, 5*time.Second, "a sees cam on b", func() bool { return a.c.Owner("cam") == "b" })
	release()
	eventually(t, 5*time.Second, "cam gone after b's release", func() bool { return a.c.Owner("cam") == "" })

	// An instance that leaves takes its paths along.
	if _, err := b.hub.Publish("cam2", desc(), stream.SourceInfo{Protocol: "rtsp"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a sees cam2 on b", func() bool { return a.c.Owner("cam2") == "b" })
	b.c.Close()
	eventually(t, 5*time.Second, "b and cam2 gone", func() bool {
		return a.c.Owner("cam2") == "" && slices.Equal(members(a), []string{"a"})
	})
	if g := a.gauges(t); g != [3]float64{1, 0, 0} {
		t.Fatalf("a's instances, paths, relays running once b left: %v, want [1 0 0]", g)
	}
}

// TestRegistryOutage: with etcd down the instance says so (remote reads
// refused with ErrUnavailable, the API list refused), local publishers
// are accepted; once etcd is back it registers again, its paths included.
func TestRegistryOutage(t *testing.T) {
	e, a, b := twoMembers(t)
	publishCamOnA(t, a, b, stream.SourceInfo{Protocol: "rtsp"})

	e.Stop()
	eventually(t, 5*time.Second, "b down", func() bool { return !b.c.Up() })
	if _, o, ok := b.c.Demand("cam", cluster.RelayTimings{}); !ok || !errors.Is(o.Refusal, stream.ErrUnavailable) {
		t.Fatalf("remote read during the outage: %+v %v, want ErrUnavailable", o, ok)
	}
	if _, err := b.c.Members(); !errors.Is(err, cluster.ErrUnreachable) {
		t.Fatalf("Members during the outage: %v", err)
	}
	eventually(t, 5*time.Second, "a down", func() bool { return !a.c.Up() })
	if _, err := a.hub.Publish("cam3", desc(), stream.SourceInfo{Protocol: "rtsp"}); err != nil {
		t.Fatalf("local publisher during the outage: %v", err)
	}

	e.Restart()
	eventually(t, 15*time.Second, "both up again", func() bool { return a.c.Up() && b.c.Up() })
	eventually(t, 10*time.Second, "b sees cam and cam3 on a", func() bool { return b.c.Owner("cam") == "a" && b.c.Owner("cam3") == "a" })
	if _, o, ok := b.c.Demand("cam", cluster.RelayTimings{}); !ok || o.Refusal != nil {
		t.Fatalf("remote read after the outage: %+v %v", o, ok)
	}
}

// TestRegistryPulledSource: a ready pulled source registers its path; one
// on another instance for a path already registered is not refused (it
// serves its own readers) and registers nothing.
func TestRegistryPulledSource(t *testing.T) {
	_, a, b := twoMembers(t)
	pa := publishCamOnA(t, a, b, stream.SourceInfo{Protocol: "rtspSource", Pulled: true})
	pb, err := b.hub.Publish("cam", desc(), stream.SourceInfo{Protocol: "rtspSource", Pulled: true})
	if err != nil {
		t.Fatalf("b's pulled source refused: %v", err)
	}
	// A relay registers nothing either.
	if _, err := b.hub.Publish("relayed", desc(), stream.SourceInfo{Protocol: "clusterPeer", Pulled: true, Peer: "a"}); err != nil {
		t.Fatal(err)
	}
	pb.Close()
	pa.Close()
	eventually(t, 5*time.Second, "cam gone", func() bool { return a.c.Owner("cam") == "" && b.c.Owner("cam") == "" })
	if b.c.Owner("relayed") != "" {
		t.Fatal("a relay was registered")
	}
}

// TestRegistryMalformed: a malformed registry record affects only its own
// key — an instance record that is not JSON, names another instance or
// has no host:port is dropped (and what the key said before forgotten);
// a path record naming no registered instance, or removed by hand, does
// not end the local publisher, which registers the path again. Path names
// with every allowed odd character work as keys.
func TestRegistryMalformed(t *testing.T) {
	e, a, b := twoMembers(t)

	e.Put(t, "/test/cluster/instances/x", `{"name":"x","address":"127.0.0.1:7554"}`)
	eventually(t, 5*time.Second, "x listed", func() bool { return slices.Equal(members(b), []string{"a", "b", "x"}) })
	e.Put(t, "/test/cluster/instances/x", `{"name":`)
	e.Put(t, "/test/cluster/instances/y", `{"name":"z","address":"127.0.0.1:7554"}`)
	e.Put(t, "/test/cluster/instances/w", `{"name":"w","address":"no-port"}`)
	e.Put(t, "/test/cluster/instances/v:1", `{"name":"v:1","address":"127.0.0.1:7554"}`)
	e.Put(t, "/test/cluster/instances/u", `{"name":"u","address":"127.0.0.1:7554"}`) // a valid one after them
	eventually(t, 5*time.Second, "u listed, x dropped, y, w and v:1 ignored", func() bool {
		return slices.Equal(members(b), []string{"a", "b", "u"})
	})
	if b.c.IsPeer("x", netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("a malformed record left x a peer")
	}

	const odd = "cams/x:1~a.b_c-d"
	pa, err := a.hub.Publish(odd, desc(), stream.SourceInfo{Protocol: "rtsp"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b sees the odd path on a", func() bool { return b.c.Owner(odd) == "a" })
	cli := e.Client(t)
	t.Cleanup(func() { _ = cli.Close() })
	stored := func() string {
		r, err := cli.Get(t.Context(), "/test/cluster/paths/"+odd)
		if err != nil || len(r.Kvs) == 0 {
			return "(none)"
		}
		return string(r.Kvs[0].Value)
	}
	for _, bad := range []string{"not a name", "ghost", ""} {
		e.Put(t, "/test/cluster/paths/"+odd, bad)
		eventually(t, 5*time.Second, "a registers the path again after "+strconv.Quote(bad), func() bool { return stored() == "a" })
	}
	e.Delete(t, "/test/cluster/paths/"+odd)
	eventually(t, 5*time.Second, "a registers the path again after its removal", func() bool { return stored() == "a" })
	eventually(t, 5*time.Second, "b sees the odd path on a again", func() bool { return b.c.Owner(odd) == "a" })
	select {
	case <-pa.Done():
		t.Fatal("a malformed path record ended the local publisher")
	default:
	}
	// A key that is no path name is not one.
	e.Put(t, "/test/cluster/paths/../x", "a")
	e.Put(t, "/test/cluster/paths/y", "a")
	eventually(t, 5*time.Second, "y seen", func() bool { return b.c.Owner("y") == "a" })
	if b.c.Owner("../x") != "" {
		t.Fatal("a path key that is no path name was taken")
	}
	pa.Close()
	eventually(t, 5*time.Second, "the odd path gone", func() bool { return b.c.Owner(odd) == "" })
}

// TestRegistryStalePaths: paths the registry says this instance publishes
// but it does not (a previous run that died, its lease still alive) leave
// the registry when it joins; another instance's paths stay.
func TestRegistryStalePaths(t *testing.T) {
	e := testharness.StartEtcd(t)
	e.Put(t, "/test/cluster/paths/stale", "a")
	e.Put(t, "/test/cluster/paths/others", "b")
	a := newMember(t, e, "a", "127.0.0.1:8554")
	eventually(t, 10*time.Second, "a registered", func() bool { return slices.Equal(members(a), []string{"a"}) })
	cli := e.Client(t)
	t.Cleanup(func() { _ = cli.Close() })
	eventually(t, 5*time.Second, "the stale path removed", func() bool {
		r, err := cli.Get(t.Context(), "/test/cluster/paths/stale")
		return err == nil && len(r.Kvs) == 0 && a.c.Owner("stale") == ""
	})
	if a.c.Owner("others") != "b" {
		t.Fatal("another instance's path was removed")
	}
}

// TestRelayRetired: a relay the registry retired (its owner unpublished)
// before the hub got to start it stays stopped when the late Start comes
// (the hub calls it outside its lock): no runner nobody would stop.
func TestRelayRetired(t *testing.T) {
	_, a, b := twoMembers(t)
	pa := publishCamOnA(t, a, b, stream.SourceInfo{Protocol: "rtsp"})
	d, o, ok := b.c.Demand("cam", cluster.RelayTimings{})
	if !ok || d == nil {
		t.Fatal("no relay")
	}
	pa.Close()
	eventually(t, 5*time.Second, "cam gone on b", func() bool { return b.c.Owner("cam") == "" })
	d.Start()
	if st := o.State(); st != "idle" {
		d.Stop()
		t.Fatalf("a retired relay started (state %s)", st)
	}
}

// TestRelaySlowPeer: a peer that accepts and never answers costs a reader
// the path's start timeout; the relay stops CloseAfter later and lets go
// of the peer's connection (no runner left behind).
func TestRelaySlowPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed := make(chan struct{}, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(io.Discard, conn) // never answers; returns when the relay hangs up
				conn.Close()
				closed <- struct{}{}
			}()
		}
	}()
	e := testharness.StartEtcd(t)
	b := newMember(t, e, "b", "127.0.0.1:9554")
	e.Put(t, "/test/cluster/instances/slow", `{"name":"slow","address":"`+ln.Addr().String()+`"}`)
	e.Put(t, "/test/cluster/paths/cam", "slow")
	eventually(t, 10*time.Second, "b sees cam on slow", func() bool { return b.c.Owner("cam") == "slow" })
	b.hub.SetDemandFunc(func(name, _ string) (stream.Demand, stream.DemandOptions, bool) {
		return b.c.Demand(name, cluster.RelayTimings{StartTimeout: 500 * time.Millisecond, CloseAfter: 200 * time.Millisecond})
	})
	// The reader gives up after the path's start timeout. On a busy
	// machine a keep-alive answered late (over 2/3 of the 2 s lease) makes
	// b judge the registry unreachable for a moment, and a read then is
	// refused at once, before any relay (make test-stress): that read did
	// not test the relay, so read again once b is up.
	for deadline := time.Now().Add(30 * time.Second); ; {
		eventually(t, 10*time.Second, "b's registry up", b.c.Up)
		_, err = b.hub.Read("cam", "")
		if !errors.Is(err, cluster.ErrUnreachable) || time.Now().After(deadline) {
			break
		}
	}
	if !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("read of a silent peer's path: %v, want ErrNotPublished", err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay still holds the silent peer's connection 10 s after its reader gave up")
	}
	eventually(t, 5*time.Second, "the relay forgotten", func() bool { _, ok := b.hub.SourceStates()["cam"]; return !ok })
}
