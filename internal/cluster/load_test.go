package cluster

import (
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/protocols/stream"
)

// TestLoadInPlace: reloading the registry (a watch restart) never empties
// the cache: a peer stays a peer throughout, and what the snapshot lacks
// goes.
func TestLoadInPlace(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	hub := stream.NewHub(func(string) (*stream.PathOptions, bool) { return &stream.PathOptions{Publisher: true}, true },
		prometheus.NewRegistry(), logger)
	c, err := New(Options{Name: "b", Prefix: "/p", Etcd: EtcdOptions{Endpoints: []string{"http://127.0.0.1:1"}},
		AdvertiseAddress: "127.0.0.1:9554", LeaseTTL: 2 * time.Second, Secret: []byte("s")}, hub, nil, prometheus.NewRegistry(), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap := []*mvccpb.KeyValue{
		{Key: []byte("/p/instances/a"), Value: []byte(`{"name":"a","address":"127.0.0.1:8554"}`)},
		{Key: []byte("/p/paths/cam"), Value: []byte("a")},
	}
	c.load(snap)
	c.apply(false, "/p/instances/x", []byte(`{"name":"x","address":"127.0.0.1:7554"}`))
	var stop, lost atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			if !c.IsPeer("a", netip.MustParseAddr("127.0.0.1")) || c.Owner("cam") != "a" {
				lost.Store(true)
			}
		}
	}()
	for range 2000 {
		c.load(snap)
	}
	stop.Store(true)
	<-done
	if lost.Load() {
		t.Fatal("the cache was seen without a record the snapshots all hold")
	}
	if c.IsPeer("x", netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("a record the snapshot lacks stayed")
	}
}
