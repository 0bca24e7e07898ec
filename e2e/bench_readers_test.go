package e2e_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRTSPReaderCost: what one more RTSP reader costs the daemon. One
// ~2 Mbit/s 720p H.264 publisher (a Go client writing pre-encoded access
// units at 25 fps); the daemon's CPU (% of one CPU) and RSS are measured
// over a window with no reader, then again with N Go readers over TCP
// playing the path; it reports the difference divided by N (per_reader_KiB,
// per_reader_cpu%) beside the totals. Run it with -benchtime 1x; the
// readers run in the benchmark process, on the same CPUs.
func BenchmarkRTSPReaderCost(b *testing.B) {
	for _, n := range []int{50, 500, 1000} {
		b.Run(fmt.Sprintf("readers=%d", n), func(b *testing.B) { benchReaderCost(b, n) })
	}
}

func benchReaderCost(b *testing.B, readers int) {
	const window, fps = 10 * time.Second, 25
	aus, sps, pps := benchH264(b, 8, 50)
	d := startRTSPDaemon(b, rtspSetup{top: "maxConnectionsPerIP: 0\nmaxConnections: 0\n"})

	feed, err := startRTSPGoFeed(b, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), sps, pps, fps,
		func(i int) [][]byte { return aus[i%len(aus)] }, nil)
	if err != nil {
		b.Fatalf("publisher: %v", err)
	}
	rtspWaitPath(b, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })

	measure := func() (cpu float64, rssKB int64) {
		t0, _ := benchProcStat(b, d.PID())
		start := time.Now()
		time.Sleep(window)
		t1, rss := benchProcStat(b, d.PID())
		return float64(t1-t0) / benchUserHZ / time.Since(start).Seconds() * 100, rss
	}
	time.Sleep(2 * time.Second) // warm-up
	cpu0, rss0 := measure()

	rs := make([]*rtspGoReader, 0, readers)
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	for range readers {
		r, err := rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, "cam"))
		if err != nil {
			b.Fatalf("reader %d: %v", len(rs), err)
		}
		rs = append(rs, r)
	}
	time.Sleep(3 * time.Second) // warm-up: every reader playing, a few keyframes sent
	b.ResetTimer()
	p0, _ := rtspReadersPackets(rs)
	cpu, rss := measure()
	b.StopTimer()
	p1, starved := rtspReadersPackets(rs)
	if e := feed.Err(); e != "" {
		b.Fatalf("publisher: %v", e)
	}
	if starved > 0 {
		b.Fatalf("%d of %d readers received nothing", starved, readers)
	}
	b.ReportMetric(cpu0, "cpu%_0_readers")
	b.ReportMetric(cpu, "cpu%")
	b.ReportMetric((cpu-cpu0)/float64(readers), "per_reader_cpu%")
	b.ReportMetric(float64(rss0)/1024, "rss_MiB_0_readers")
	b.ReportMetric(float64(rss)/1024, "rss_MiB")
	b.ReportMetric(float64(rss-rss0)/float64(readers), "per_reader_KiB")
	b.ReportMetric(float64(p1-p0)/window.Seconds()/float64(readers), "pkts/s/reader")
}
