package e2e_test

// The latency of one cluster relay hop (issue 18). Run it with
//
//	go test -run '^$' -bench ClusterRelayHop -benchtime 1x ./e2e
//
// and a shorter or longer measuring window with
// STREAMGATE_BENCH_RELAY_WINDOW (a Go duration, default 30s).

import (
	"os"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// relayHopWindowEnv sets BenchmarkClusterRelayHop's measuring window.
const relayHopWindowEnv = "STREAMGATE_BENCH_RELAY_WINDOW"

// BenchmarkClusterRelayHop: the latency one relay hop adds. One real etcd
// (TLS) and two instances a and b as TestCluster starts them (peers relay
// over RTSPS with mutual TLS); a Go publisher writes tagged ~2 Mbit/s 720p
// H.264 (srcBenchPublish, 25 fps, a keyframe every 2 s) to a; one Go RTSP
// reader reads the path on a (local) and one on b (remote: through b's
// on-demand relay from a), at the same time. Over the window it reports
// each reader's latency from the publisher writing an access unit to the
// reader having it whole (local_*, remote_*: p50, p99), and the hop
// itself per unit: the remote reader's arrival minus the local reader's
// arrival of the same unit (hop_*: p50, p99), with matched the share of
// remote units the local reader had too; beside them both daemons' CPU
// (% of one CPU) and RSS and other_load% (share of the machine's CPUs
// taken by other processes during the window).
func BenchmarkClusterRelayHop(b *testing.B) {
	window := 30 * time.Second
	if v := os.Getenv(relayHopWindowEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 4*time.Minute {
			b.Fatalf("%s=%q: want a duration of at most 4m", relayHopWindowEnv, v)
		}
		window = d
	}
	aus, sps, pps := benchH264(b, 8, 50)
	e := testharness.StartEtcd(b)
	secretFile := clusterSecretFile(b, b.TempDir(), clusterSecret)
	da := startClusterInstance(b, e, secretFile, "a")
	db := startClusterInstance(b, e, secretFile, "b")
	waitClusterListed(b, 2, da, db)
	pub := srcBenchPublish(b, rtspURL(da, rtspPubUser, rtspPubPass, "cam"), aus, sps, pps, 0)
	rtspWaitPath(b, da, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	testharness.WaitEvery(b, "b lists cam on a", 5*time.Second, clusterPoll, func() bool { return clusterOwner(b, db, "cam") == "a" })

	local, la, err := srcBenchReadArrivals(rtspURL(da, rtspReadUser, rtspReadPass, "cam"), len(pub.sent))
	if err != nil {
		b.Fatalf("local reader on a: %v", err)
	}
	b.Cleanup(local.Close)
	remote, ra, err := srcBenchReadArrivals(rtspURL(db, rtspReadUser, rtspReadPass, "cam"), len(pub.sent))
	if err != nil {
		b.Fatalf("remote reader on b: %v", err)
	}
	b.Cleanup(remote.Close)
	if p := rtspWaitPath(b, db, "cam", 5*time.Second, nil); p.Source == nil || p.Source.Type != "clusterPeer" {
		b.Fatalf("b does not serve cam through a relay: %+v", p.Source)
	}
	testharness.WaitEvery(b, "both readers have access units", 10*time.Second, clusterPoll, func() bool { return la.had.Load() > 0 && ra.had.Load() > 0 })
	time.Sleep(2 * time.Second) // warm-up: past the first keyframe, the relay settled

	b.ResetTimer()
	had0 := ra.had.Load()
	w := srcBenchStart(b, da, db)
	time.Sleep(window)
	cpu, rss := w.end(b)
	wStart, wEnd := w.start.UnixNano(), time.Now().UnixNano()
	b.StopTimer()
	had1 := ra.had.Load()

	if e := pub.feed.Err(); e != "" {
		b.Fatalf("publisher: %v", e)
	}
	if n := la.untagged.Load() + ra.untagged.Load(); n > 0 {
		b.Fatalf("%d access units reached the readers without their tag", n)
	}
	srcBenchRefused(b, da)
	srcBenchRefused(b, db)
	localLat, remoteLat := la.latencies(pub, wStart, wEnd), ra.latencies(pub, wStart, wEnd)
	if len(localLat) == 0 || len(remoteLat) == 0 {
		b.Fatalf("no access unit measured (local %d, remote %d)", len(localLat), len(remoteLat))
	}
	var hop []time.Duration
	for i := range ra.at {
		if r, l := ra.at[i].Load(), la.at[i].Load(); r >= wStart && r <= wEnd && l != 0 {
			hop = append(hop, time.Duration(r-l))
		}
	}
	srcBenchReportPcts(b, "local_", localLat, 50, 99)
	srcBenchReportPcts(b, "remote_", remoteLat, 50, 99)
	srcBenchReportPcts(b, "hop_", hop, 50, 99)
	b.ReportMetric(float64(len(hop))/float64(len(remoteLat)), "matched")
	b.ReportMetric(float64(had1-had0)/window.Seconds(), "remote_aus/s")
	b.ReportMetric(cpu[0], "a_cpu%")
	b.ReportMetric(cpu[1], "b_cpu%")
	b.ReportMetric(float64(rss[0])/1024, "a_rss_MiB")
	b.ReportMetric(float64(rss[1])/1024, "b_rss_MiB")
	b.ReportMetric(w.otherLoad, "other_load%")
}
