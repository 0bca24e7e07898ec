package authn_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/testharness"
)

// BenchmarkEtcdStoreLoad100k loads a prefix of 100 000 users from a real etcd
// and reports the load time, the heap the snapshot holds, and how long one
// watched change takes to become visible.
func BenchmarkEtcdStoreLoad100k(b *testing.B) {
	const users = 100_000
	e := testharness.StartEtcd(b)
	cli := e.Client(b)
	record := `{"password_hash": "` + seedHash + `", "allowed_routing_labels": {"set": "cam"}}`
	ctx := context.Background()
	for i := 0; i < users; i += 128 {
		ops := make([]clientv3.Op, 0, 128)
		for j := i; j < min(i+128, users); j++ {
			ops = append(ops, clientv3.OpPut("/users/user"+strconv.Itoa(j), record))
		}
		if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			b.Fatal(err)
		}
	}
	cfg := authn.EtcdConfig{Endpoints: []string{e.Endpoint()}, CA: e.CAFile, Cert: e.CertFile, Key: e.KeyFile,
		Prefix: "/users", DataFormat: "json", DialTimeout: 30 * time.Second}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		store, err := authn.NewEtcdStore(cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(2 * time.Minute); !store.Synced(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("the store did not load %d users within 2 minutes", users)
			}
		}
		load := time.Since(start)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if store.Len() != users {
			b.Fatalf("loaded %d users, want %d", store.Len(), users)
		}
		// One watched change: visible when the user's version moves.
		name := fmt.Sprintf("user%d", n%users)
		v := store.UserVersion(name)
		start = time.Now()
		e.Put(b, "/users/"+name, strings.Replace(record, "cam", "cam2", 1))
		for deadline := time.Now().Add(time.Minute); store.UserVersion(name) == v; time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatal("a changed user was not seen within a minute")
			}
		}
		watch := time.Since(start)
		b.ReportMetric(load.Seconds(), "load-s")
		// Signed: the heap can shrink between the two readings (a uint64
		// difference would wrap to 16 EiB).
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "heap-MiB")
		b.ReportMetric(float64(watch.Microseconds())/1000, "watch-ms")
		b.ReportMetric(rssMiB(), "rss-MiB")
		_ = store.Close()
	}
}

func rssMiB() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
