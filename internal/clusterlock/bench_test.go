package clusterlock

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/cluster"
	"github.com/streamgate/streamgate/internal/testharness"
)

// Scale of the simulated cluster (issue 18's benchmark).
const (
	benchInstances = 50
	benchDuration  = 10 * time.Second
)

// p99 of durations (they are sorted in place).
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*99/100)]
}

// BenchmarkQuarantineFlood: 50 simulated instances (each its own etcd
// client, quarantine and Lock, flushing every second) share a 1 000
// logins/s guessing flood for 10 s: 90 % wrong passwords of 5 000 names,
// 10 % guesses at one victim's name, every attempt from a fresh address (a
// botnet), so that only the per-name limit (50) can stop the victim's
// guesser — which one instance alone, seeing 2 guesses/s, would reach
// after 25 s. Reported: etcd transactions and records written per second,
// the p99 of the quarantine lookup each login makes (Blocked), and the
// time from the failure that brought the cluster's sum to the limit until
// every instance refuses the name.
//
//	nice go test -run '^$' -bench QuarantineFlood -benchtime 1x ./internal/clusterlock/
func BenchmarkQuarantineFlood(b *testing.B) {
	e := testharness.StartEtcd(b)
	const rate, victimEvery, userLimit = 1000, 10, 50
	lim := authn.QuarantineLimits{PairLimit: 3, UserLimit: userLimit, IPLimit: 20, Period: 10 * time.Minute, MaxTracked: 20000}
	for range b.N {
		prefix := fmt.Sprintf("/bench/%d", rand.Int64())
		nodes := make([]*node, benchInstances)
		for i := range nodes {
			q := authn.NewQuarantine(lim)
			l, err := Start(Options{Etcd: etcdConfig(e), Prefix: prefix, Name: fmt.Sprintf("i%02d", i),
				Secret: []byte("bench secret"), Interval: time.Second, Period: lim.Period,
				Logger: slog.New(slog.DiscardHandler)}, q)
			if err != nil {
				b.Fatal(err)
			}
			nodes[i] = &node{q: q, l: l}
		}
		var (
			victimFails atomic.Int64
			crossedAt   atomic.Int64 // unix ns when the cluster's sum reached the limit
			mu          sync.Mutex
			lookups     []time.Duration
		)
		probe := netip.MustParseAddr("203.0.113.200")
		start := time.Now()
		var wg sync.WaitGroup
		// One sender per instance: rate/instances logins a second each.
		for i, n := range nodes {
			wg.Go(func() {
				var local []time.Duration
				every := time.Second * benchInstances / rate
				r := rand.New(rand.NewPCG(uint64(i), 1))
				for k := 0; ; k++ {
					at := start.Add(time.Duration(k)*every + time.Duration(i)*every/benchInstances)
					if at.Sub(start) >= benchDuration {
						break
					}
					time.Sleep(time.Until(at))
					ip := netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
					user := fmt.Sprintf("user%04d", r.IntN(5000))
					victim := (k*benchInstances+i)%victimEvery == 0
					if victim {
						user = "victim"
					}
					t0 := time.Now()
					blocked, _ := n.q.Blocked(user, ip)
					local = append(local, time.Since(t0))
					if blocked {
						continue
					}
					n.q.Fail(user, true, ip, r.Uint64())
					if victim && victimFails.Add(1) == userLimit {
						crossedAt.Store(time.Now().UnixNano())
					}
				}
				mu.Lock()
				lookups = append(lookups, local...)
				mu.Unlock()
			})
		}
		// Until every instance refuses the victim from an address it has
		// never seen.
		var seenAll time.Duration
		for deadline := start.Add(benchDuration + time.Minute); ; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatal("the victim's quarantine was not seen by every instance")
			}
			if crossedAt.Load() == 0 {
				continue
			}
			all := true
			for _, n := range nodes {
				if ok, _ := n.q.Blocked("victim", probe); !ok {
					all = false
					break
				}
			}
			if all {
				seenAll = time.Since(time.Unix(0, crossedAt.Load()))
				break
			}
		}
		wg.Wait()
		elapsed := time.Since(start)
		var txns, leases, records float64
		for _, n := range nodes {
			txns += testutil.ToFloat64(n.l.m.flushes)
			leases += testutil.ToFloat64(n.l.m.leases)
			records += testutil.ToFloat64(n.l.m.written)
		}
		b.ReportMetric(float64(len(lookups))/elapsed.Seconds(), "logins/s")
		b.ReportMetric((txns+leases)/elapsed.Seconds(), "etcd-writes/s")
		b.ReportMetric(records/elapsed.Seconds(), "etcd-keys/s")
		b.ReportMetric(float64(p99(lookups).Nanoseconds())/1000, "lookup-p99-µs")
		b.ReportMetric(float64(seenAll.Milliseconds()), "seen-cluster-wide-ms")
		for _, n := range nodes {
			_ = n.l.Close()
		}
	}
}

// BenchmarkRegistryChurn approximates the stream registry's load (issue
// 18 item 2, built elsewhere) with plain etcd operations in its key
// layout: 50 instances, each with its own client and lease (TTL 10 s, kept
// alive), register 200 paths each as <prefix>/paths/<path>, then for 10 s
// each unpublishes and republishes one path every 100 ms (1 000 writes/s
// in all), while a reader looks paths up (Get) and a watcher follows the
// prefix. Reported: etcd writes/s done, lookup p99, and the p99 of the
// time a watcher takes to see a registration.
//
//	nice go test -run '^$' -bench RegistryChurn -benchtime 1x ./internal/clusterlock/
func BenchmarkRegistryChurn(b *testing.B) {
	e := testharness.StartEtcd(b)
	const paths = 200
	ctx := context.Background()
	for range b.N {
		prefix := fmt.Sprintf("/bench/%d/paths/", rand.Int64())
		clients := make([]*clientv3.Client, benchInstances)
		leases := make([]clientv3.LeaseID, benchInstances)
		for i := range clients {
			c, err := cluster.NewEtcdClient(etcdConfig(e))
			if err != nil {
				b.Fatal(err)
			}
			clients[i] = c
			g, err := c.Grant(ctx, 10)
			if err != nil {
				b.Fatal(err)
			}
			leases[i] = g.ID
			ka, err := c.KeepAlive(ctx, g.ID)
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for range ka {
				}
			}()
			ops := make([]clientv3.Op, 0, paths)
			for p := range paths {
				ops = append(ops, clientv3.OpPut(fmt.Sprintf("%si%02d-cam%03d", prefix, i, p),
					fmt.Sprintf(`{"instance":"i%02d"}`, i), clientv3.WithLease(g.ID)))
			}
			for len(ops) > 0 {
				n := min(len(ops), maxTxnOps)
				if _, err := c.Txn(ctx).Then(ops[:n]...).Commit(); err != nil {
					b.Fatal(err)
				}
				ops = ops[n:]
			}
		}
		// The watcher notes when each probe registration arrives.
		wctx, stopWatch := context.WithCancel(ctx)
		seen := sync.Map{}
		watcher := clients[0].Watch(wctx, prefix, clientv3.WithPrefix())
		go func() {
			for wr := range watcher {
				for _, ev := range wr.Events {
					if ev.Type == clientv3.EventTypePut {
						if ch, ok := seen.Load(string(ev.Kv.Key)); ok {
							select {
							case ch.(chan struct{}) <- struct{}{}:
							default:
							}
						}
					}
				}
			}
		}()
		var writes atomic.Int64
		var mu sync.Mutex
		var lookups, propagation []time.Duration
		start := time.Now()
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(i), 2))
				var prop []time.Duration
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for time.Since(start) < benchDuration {
					<-tick.C
					key := fmt.Sprintf("%si%02d-cam%03d", prefix, i, r.IntN(paths))
					if _, err := c.Delete(ctx, key); err != nil {
						continue
					}
					writes.Add(1)
					ch := make(chan struct{}, 1)
					seen.Store(key, ch)
					t0 := time.Now()
					if _, err := c.Put(ctx, key, fmt.Sprintf(`{"instance":"i%02d"}`, i), clientv3.WithLease(leases[i])); err != nil {
						continue
					}
					writes.Add(1)
					select {
					case <-ch:
						prop = append(prop, time.Since(t0))
					case <-time.After(5 * time.Second):
					}
					seen.Delete(key)
				}
				mu.Lock()
				propagation = append(propagation, prop...)
				mu.Unlock()
			})
		}
		// Lookups: one reader, as an instance resolving a path it does not serve.
		wg.Go(func() {
			c := clients[benchInstances-1]
			r := rand.New(rand.NewPCG(9, 9))
			for time.Since(start) < benchDuration {
				key := fmt.Sprintf("%si%02d-cam%03d", prefix, r.IntN(benchInstances), r.IntN(paths))
				t0 := time.Now()
				if _, err := c.Get(ctx, key); err == nil {
					lookups = append(lookups, time.Since(t0))
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		wg.Wait()
		elapsed := time.Since(start)
		stopWatch()
		b.ReportMetric(float64(writes.Load())/elapsed.Seconds(), "etcd-writes/s")
		b.ReportMetric(float64(p99(lookups).Microseconds())/1000, "lookup-p99-ms")
		b.ReportMetric(float64(p99(propagation).Microseconds())/1000, "watch-p99-ms")
		for _, c := range clients {
			_ = c.Close()
		}
	}
}
