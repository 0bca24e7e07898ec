package e2e_test

// Benchmarks of pulled sources (issue 16) against the real binary: an
// origin streamgate stands for the cameras (it asks its readers for
// credentials), an edge streamgate pulls from it and serves RTSP readers.
// Run them with
//
//	go test -run '^$' -bench 'PulledSources|OnDemandStart' -benchtime 1x ./e2e
//
// Publishers and readers are Go gortsplib clients in the benchmark process,
// on the same CPUs as both daemons.

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/internal/testharness"
)

// srcBenchUUID is the UUID of the SEI user-data-unregistered NAL unit the
// publishers put before each access unit, followed by the unit's index in 8
// hex digits. No byte of either is zero, so the NAL unit needs no emulation
// prevention.
var srcBenchUUID = []byte("streamgate-lat!!")

// srcBenchSEI is the SEI NAL unit tagging access unit i: payload type 5
// (user data unregistered), 24 bytes (UUID, index), RBSP trailing bits.
func srcBenchSEI(i int) []byte {
	n := append([]byte{byte(h264.NALUTypeSEI), 5, 24}, srcBenchUUID...)
	n = fmt.Appendf(n, "%08x", uint32(i))
	return append(n, 0x80)
}

// srcBenchIndex finds the tag of srcBenchSEI in an access unit.
func srcBenchIndex(au [][]byte) (int, bool) {
	for _, n := range au {
		if len(n) >= 27 && h264.NALUType(n[0]&0x1f) == h264.NALUTypeSEI && n[1] == 5 && n[2] == 24 &&
			bytes.Equal(n[3:19], srcBenchUUID) {
			v, err := strconv.ParseUint(string(n[19:27]), 16, 32)
			return int(v), err == nil
		}
	}
	return 0, false
}

// srcBenchPub is a Go RTSP publisher writing pre-encoded H.264 access
// units, each tagged with its index, at 25 fps.
type srcBenchPub struct {
	// sent[i]: when the publisher began writing access unit i (unix ns).
	sent []atomic.Int64
	feed *rtspGoFeed
}

const srcBenchFPS = 25

// srcBenchPublish publishes aus in a loop to rtspURL, starting at aus[offset]
// (units before the first keyframe are sent too: the daemon skips them),
// until the benchmark ends.
func srcBenchPublish(b *testing.B, rtspURL string, aus [][][]byte, sps, pps []byte, offset int) *srcBenchPub {
	b.Helper()
	p := &srcBenchPub{sent: make([]atomic.Int64, 300*srcBenchFPS)}
	tagged := func(i int) [][]byte { return append([][]byte{srcBenchSEI(i)}, aus[(i+offset)%len(aus)]...) }
	sent := func(i int, _ []*rtp.Packet) {
		if i < len(p.sent) {
			p.sent[i].Store(time.Now().UnixNano())
		}
	}
	f, err := startRTSPGoFeed(b, rtspURL, sps, pps, srcBenchFPS, tagged, sent)
	if err != nil {
		b.Fatalf("publisher %s: %v", rtspURL, err)
	}
	p.feed = f
	return p
}

// srcBenchRead plays rtspURL over TCP and calls onAU, in the client's
// reading goroutine, with each depacketized H.264 access unit and when its
// last packet arrived; onPacket (may be nil) is called for every packet.
func srcBenchRead(rtspURL string, onPacket func(), onAU func(au [][]byte, at time.Time)) (*gortsplib.Client, error) {
	u, err := base.ParseURL(rtspURL)
	if err != nil {
		return nil, err
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: rtspTCP()}
	if err := c.Start(); err != nil {
		return nil, err
	}
	fail := func(err error) (*gortsplib.Client, error) {
		c.Close()
		return nil, err
	}
	desc, _, err := c.Describe(u)
	if err != nil {
		return fail(err)
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return fail(fmt.Errorf("no H.264 track in %v", desc.Medias))
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		return fail(err)
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fail(err)
	}
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		now := time.Now()
		if onPacket != nil {
			onPacket()
		}
		if au, err := dec.Decode(pkt); err == nil {
			onAU(au, now)
		}
	})
	if _, err := c.Play(nil); err != nil {
		return fail(err)
	}
	return c, nil
}

// srcBenchArrivals are when a reader had each tagged access unit whole
// (unix ns, by the unit's index; 0: not had).
type srcBenchArrivals struct {
	at       []atomic.Int64
	had      atomic.Int64 // units had, tagged or not
	untagged atomic.Int64 // units without a tag
}

// srcBenchReadArrivals plays rtspURL (srcBenchRead) and records the
// arrival of the first n units of a srcBenchPublish publisher.
func srcBenchReadArrivals(rtspURL string, n int) (*gortsplib.Client, *srcBenchArrivals, error) {
	a := &srcBenchArrivals{at: make([]atomic.Int64, n)}
	c, err := srcBenchRead(rtspURL, nil, func(au [][]byte, at time.Time) {
		a.had.Add(1)
		i, ok := srcBenchIndex(au)
		switch {
		case !ok:
			a.untagged.Add(1)
		case i < len(a.at):
			a.at[i].Store(at.UnixNano())
		}
	})
	return c, a, err
}

// latencies are, for the units had within [from, to] (unix ns), the time
// from p beginning to write each to this reader having it.
func (a *srcBenchArrivals) latencies(p *srcBenchPub, from, to int64) []time.Duration {
	var out []time.Duration
	for i := range min(len(a.at), len(p.sent)) {
		if at, sent := a.at[i].Load(), p.sent[i].Load(); at != 0 && sent != 0 && at >= from && at <= to {
			out = append(out, time.Duration(at-sent))
		}
	}
	return out
}

// srcBenchCPU samples the CPU ticks and RSS of daemons over a window, and
// the machine's busy ticks and the benchmark process's own.
type srcBenchCPU struct {
	pids       []int
	ticks      []int64
	busy, self int64
	start      time.Time
	otherLoad  float64 // set by end: % of the machine's CPUs taken by other processes
}

func srcBenchStart(b *testing.B, ds ...*testharness.Daemon) *srcBenchCPU {
	pids := make([]int, 0, len(ds))
	for _, d := range ds {
		pids = append(pids, d.PID())
	}
	return srcBenchStartPIDs(b, pids...)
}

// srcBenchStartPIDs is srcBenchStart for any processes (by id).
func srcBenchStartPIDs(b *testing.B, pids ...int) *srcBenchCPU {
	s := &srcBenchCPU{start: time.Now(), pids: pids}
	for _, pid := range pids {
		t, _ := benchProcStat(b, pid)
		s.ticks = append(s.ticks, t)
	}
	s.busy = srcBenchBusy(b)
	s.self, _ = benchProcStat(b, os.Getpid())
	return s
}

// end returns each process's CPU (% of one CPU) since start and its RSS
// (kB), and sets otherLoad.
func (s *srcBenchCPU) end(b *testing.B) (cpu []float64, rssKB []int64) {
	el := time.Since(s.start).Seconds()
	ours := int64(0)
	for k, pid := range s.pids {
		t, rss := benchProcStat(b, pid)
		ours += t - s.ticks[k]
		cpu = append(cpu, float64(t-s.ticks[k])/benchUserHZ/el*100)
		rssKB = append(rssKB, rss)
	}
	self, _ := benchProcStat(b, os.Getpid())
	ours += self - s.self
	other := srcBenchBusy(b) - s.busy - ours
	s.otherLoad = max(0, float64(other)/benchUserHZ/el/float64(runtime.NumCPU())*100)
	return cpu, rssKB
}

// srcBenchBusy is the machine's busy CPU time (clock ticks of every CPU
// not idle or waiting for I/O) from /proc/stat.
func srcBenchBusy(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	var busy int64
	for k, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if k != 3 && k != 4 && k < 8 { // not idle, iowait, guest
			busy += v
		}
	}
	return busy
}

// srcBenchPct is the q-quantile of ds in milliseconds (ds sorted).
func srcBenchPct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return -1
	}
	return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / 1e6
}

// srcBenchReportPcts sorts ds and reports its pcts percentiles as
// metrics PREFIXpNN_ms.
func srcBenchReportPcts(b *testing.B, prefix string, ds []time.Duration, pcts ...int) {
	slices.Sort(ds)
	for _, p := range pcts {
		b.ReportMetric(srcBenchPct(ds, float64(p)/100), fmt.Sprintf("%sp%d_ms", prefix, p))
	}
}

// srcBenchRefused fails the benchmark when d refused connections for a
// limit (maxConnections, maxConnectionsPerIP): the readers must all be
// served.
func srcBenchRefused(b *testing.B, d *testharness.Daemon) {
	b.Helper()
	for _, l := range strings.Split(d.MetricsText(b), "\n") {
		if strings.HasPrefix(l, "streamgate_connections_refused_total") && !strings.HasSuffix(l, " 0") {
			b.Fatalf("connections refused: %s", l)
		}
	}
}

// BenchmarkPulledSources: the edge's cost and added latency for pulled
// sources, beside the same readers of one stream published to the edge.
//
//   - pulled=20x5: an origin streamgate (the "cameras", Basic credentials
//     for reading) gets 20 publishers of ~2 Mbit/s 720p H.264 (pre-encoded,
//     25 fps, a keyframe every 2 s, their keyframes spread); the edge has 20
//     paths with source: rtsp://USER:PASS@origin/camN (TCP) and 5 RTSP
//     readers on each; one more reader per path reads the origin directly.
//   - published=1x100: one such publisher straight to the edge, 100
//     readers of it.
//
// Over 10 s without readers, then 10 s with them, it reports the edge's
// CPU (% of one CPU, /proc/PID/stat) and RSS, the difference per reader,
// and the latency from the publisher writing an access unit to a reader
// having it whole (p50, p99). For pulled sources, added_* is the edge's
// share: per access unit, an edge reader's time minus the direct origin
// reader's time for the same unit. other_load% is the share of the
// machine's CPUs that processes other than the daemons and the benchmark
// took during the window with readers.
func BenchmarkPulledSources(b *testing.B) {
	b.Run("pulled=20x5", func(b *testing.B) { benchPulled(b, 20, 5) })
	b.Run("published=1x100", func(b *testing.B) { benchPulled(b, 1, 100) })
}

func benchPulled(b *testing.B, paths, perPath int) {
	const window = 10 * time.Second
	pulled := perPath < 100
	aus, sps, pps := benchH264(b, 8, 50)
	names := make([]string, paths)
	for k := range names {
		names[k] = fmt.Sprintf("cam%d", k)
	}

	// The edge, and the origin with the publishers (or the edge's own).
	var origin, edge *testharness.Daemon
	var pubs []*srcBenchPub
	publish := func(d *testharness.Daemon) {
		for k, name := range names {
			// Keyframes spread over the 2 s GOP: cameras are not in step.
			pubs = append(pubs, srcBenchPublish(b, rtspURL(d, rtspPubUser, rtspPubPass, name), aus, sps, pps, k*2*srcBenchFPS/paths))
		}
		for _, name := range names {
			rtspWaitPath(b, d, name, 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
		}
	}
	if pulled {
		var op, ep strings.Builder
		for _, name := range names {
			fmt.Fprintf(&op, "  %s: {}\n", name)
		}
		origin = startRTSPDaemon(b, rtspSetup{
			users: fmt.Sprintf("- {user: %s, pass: %s, permissions: [{action: read}]}\n", srcCamUser, srcCamPass),
			paths: op.String(),
		})
		publish(origin)
		for _, name := range names {
			fmt.Fprintf(&ep, "  %s:\n    source: %s\n    rtspTransport: tcp\n", name, rtspURL(origin, srcCamUser, srcCamPass, name))
		}
		edge = startRTSPDaemon(b, rtspSetup{paths: ep.String()})
		for _, name := range names {
			waitSourceReady(b, edge, name, "rtspSource", 20*time.Second)
		}
	} else {
		edge = startRTSPDaemon(b, rtspSetup{paths: "  cam0: {}\n"})
		publish(edge)
	}
	daemons := []*testharness.Daemon{edge}
	if pulled {
		daemons = append(daemons, origin)
	}

	time.Sleep(2 * time.Second) // warm-up
	w := srcBenchStart(b, daemons...)
	time.Sleep(window)
	cpu0, rss0 := w.end(b)

	// Readers. direct[k][i]: when path k's direct origin reader had unit i.
	type sample struct {
		path, index int
		at          int64
	}
	var measuring atomic.Bool
	var mu sync.Mutex
	var edgeSamples []sample
	var untagged atomic.Int64
	direct := make([]*srcBenchArrivals, paths)
	var readers []*gortsplib.Client
	auCount := make([]atomic.Int64, paths*perPath)
	b.Cleanup(func() {
		for _, c := range readers {
			c.Close()
		}
	})
	for k, name := range names {
		for j := range perPath {
			n := &auCount[k*perPath+j]
			c, err := srcBenchRead(rtspURL(edge, rtspReadUser, rtspReadPass, name), nil, func(au [][]byte, at time.Time) {
				n.Add(1)
				i, ok := srcBenchIndex(au)
				if !ok {
					untagged.Add(1)
					return
				}
				if measuring.Load() {
					mu.Lock()
					edgeSamples = append(edgeSamples, sample{k, i, at.UnixNano()})
					mu.Unlock()
				}
			})
			if err != nil {
				b.Fatalf("edge reader %d of %s: %v", j, name, err)
			}
			readers = append(readers, c)
		}
		if pulled {
			c, arrivals, err := srcBenchReadArrivals(rtspURL(origin, srcCamUser, srcCamPass, name), len(pubs[k].sent))
			direct[k] = arrivals
			if err != nil {
				b.Fatalf("origin reader of %s: %v", name, err)
			}
			readers = append(readers, c)
		}
	}
	time.Sleep(3 * time.Second) // warm-up: every reader playing, keyframes sent
	b.ResetTimer()
	var a0 int64
	for k := range auCount {
		a0 += auCount[k].Load()
	}
	measuring.Store(true)
	w = srcBenchStart(b, daemons...)
	time.Sleep(window)
	cpu, rss := w.end(b)
	measuring.Store(false)
	wStart, wEnd := w.start.UnixNano(), time.Now().UnixNano()
	b.StopTimer()
	var a1 int64
	for k := range auCount {
		n := auCount[k].Load()
		if n == 0 {
			b.Fatalf("edge reader %d got no access unit", k)
		}
		a1 += n
	}
	for _, p := range pubs {
		if e := p.feed.Err(); e != "" {
			b.Fatalf("publisher: %v", e)
		}
	}
	if n := untagged.Load(); n > 0 {
		b.Fatalf("%d access units reached edge readers without their tag", n)
	}
	for _, d := range daemons {
		srcBenchRefused(b, d)
	}

	mu.Lock()
	samples := slices.Clone(edgeSamples)
	mu.Unlock()
	var lat, added []time.Duration
	for _, s := range samples {
		sent := pubs[s.path].sent[s.index].Load()
		if sent == 0 {
			b.Fatalf("unit %d of %s was never sent", s.index, names[s.path])
		}
		lat = append(lat, time.Duration(s.at-sent))
		if pulled {
			if d := direct[s.path].at[s.index].Load(); d != 0 {
				added = append(added, time.Duration(s.at-d))
			}
		}
	}
	readersN := float64(paths * perPath)
	b.ReportMetric(cpu0[0], "edge_cpu%_0_readers")
	b.ReportMetric(cpu[0], "edge_cpu%")
	b.ReportMetric((cpu[0]-cpu0[0])/readersN, "per_reader_cpu%")
	b.ReportMetric(float64(rss0[0])/1024, "edge_rss_MiB_0_readers")
	b.ReportMetric(float64(rss[0])/1024, "edge_rss_MiB")
	b.ReportMetric(float64(rss[0]-rss0[0])/readersN, "per_reader_KiB")
	b.ReportMetric(float64(a1-a0)/window.Seconds()/readersN, "aus/s/reader")
	srcBenchReportPcts(b, "", lat, 50, 99)
	if pulled {
		// The direct readers' own latency, publisher → origin → reader.
		var dl []time.Duration
		for k := range names {
			dl = append(dl, direct[k].latencies(pubs[k], wStart, wEnd)...)
		}
		srcBenchReportPcts(b, "direct_", dl, 50, 99)
		srcBenchReportPcts(b, "added_", added, 50, 99)
		b.ReportMetric(cpu[1], "origin_cpu%")
		b.ReportMetric(float64(len(added))/float64(len(samples)), "matched")
	}
	b.ReportMetric(w.otherLoad, "other_load%")
}

// BenchmarkOnDemandStart: the first authenticated reader's time to first
// frame on an on-demand pulled source. The origin (a streamgate asking for
// credentials) has a ~2 Mbit/s 720p H.264 publisher, a keyframe every
// second, publishing all along; the edge's path has sourceOnDemand: yes
// and sourceOnDemandCloseAfter: 1s. Each of 20 tries connects a Go RTSP
// reader to the edge (DESCRIBE wakes the source and waits for it), and
// measures from its connect to: PLAY answered, its first RTP packet, its
// first decodable access unit (an IDR, whole). That IDR's tag splits the
// last figure in two: idr_wait, from the connect to the publisher sending
// that IDR to the origin (the keyframe interval bounds it), and after_idr,
// from then to the reader having it; missed_idrs counts the tries whose
// reader started later than the first IDR sent after PLAY was answered.
// Then the reader leaves, and the next
// try waits until the origin has no reader and the edge's path is not live,
// then for a share of the keyframe interval so that the tries start at
// phases spread over it. It reports p50 and p90 over the tries.
func BenchmarkOnDemandStart(b *testing.B) {
	const tries = 20
	aus, sps, pps := benchH264(b, 4, srcBenchFPS)
	origin := startRTSPDaemon(b, rtspSetup{
		users: fmt.Sprintf("- {user: %s, pass: %s, permissions: [{action: read}]}\n", srcCamUser, srcCamPass),
	})
	pub := srcBenchPublish(b, rtspURL(origin, rtspPubUser, rtspPubPass, "cam"), aus, sps, pps, 0)
	rtspWaitPath(b, origin, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	edge := startRTSPDaemon(b, rtspSetup{paths: "  cam:\n    source: " + rtspURL(origin, srcCamUser, srcCamPass, "cam") +
		"\n    rtspTransport: tcp\n    sourceOnDemand: yes\n    sourceOnDemandStartTimeout: 10s\n    sourceOnDemandCloseAfter: 1s\n"})

	// closed: the origin has no reader and the edge does not list cam live.
	closed := func() bool {
		for _, p := range rtspPaths(b, origin) {
			if p.Name == "cam" && p.Readers != 0 {
				return false
			}
		}
		for _, p := range rtspPaths(b, edge) {
			if p.Name == "cam" && p.Ready {
				return false
			}
		}
		return true
	}
	var play, firstPkt, firstFrame, idrWait, afterIDR []time.Duration
	missed := 0
	b.ResetTimer()
	for try := range tries {
		var pktAt, frameAt atomic.Int64
		frameIndex := -1
		gotFrame := make(chan struct{})
		t0 := time.Now()
		c, err := srcBenchRead(rtspURL(edge, rtspReadUser, rtspReadPass, "cam"), func() {
			pktAt.CompareAndSwap(0, time.Now().UnixNano())
		}, func(au [][]byte, at time.Time) {
			if h264.IsRandomAccess(au) && frameAt.CompareAndSwap(0, at.UnixNano()) {
				frameIndex, _ = srcBenchIndex(au)
				close(gotFrame)
			}
		})
		if err != nil {
			b.Fatalf("try %d: reader: %v", try, err)
		}
		played := time.Since(t0)
		select {
		case <-gotFrame:
		case <-time.After(10 * time.Second):
			c.Close()
			b.Fatalf("try %d: no decodable frame within 10 s", try)
		}
		c.Close()
		play = append(play, played)
		firstPkt = append(firstPkt, time.Duration(pktAt.Load()-t0.UnixNano()))
		firstFrame = append(firstFrame, time.Duration(frameAt.Load()-t0.UnixNano()))
		if frameIndex < 0 || frameIndex >= len(pub.sent) || pub.sent[frameIndex].Load() == 0 {
			b.Fatalf("try %d: the first frame has no known tag (%d)", try, frameIndex)
		}
		sent := pub.sent[frameIndex].Load()
		idrWait = append(idrWait, time.Duration(sent-t0.UnixNano()))
		afterIDR = append(afterIDR, time.Duration(frameAt.Load()-sent))
		// An earlier IDR sent after PLAY was answered: the edge missed it.
		for i := frameIndex - 1; i >= 0 && pub.sent[i].Load() > t0.Add(played).UnixNano(); i-- {
			if h264.IsRandomAccess(aus[i%len(aus)]) {
				missed++
				break
			}
		}
		deadline := time.Now().Add(15 * time.Second)
		for !closed() {
			if time.Now().After(deadline) {
				b.Fatalf("try %d: the source still runs 15 s after its reader left", try)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The close follows the last keyframe by about CloseAfter: without
		// this pause every try would start at the same point of the GOP.
		// Tries start at 20 phases spread over the second, in mixed order.
		time.Sleep(time.Duration(try*7%tries) * time.Second / tries)
	}
	b.StopTimer()
	if e := pub.feed.Err(); e != "" {
		b.Fatalf("publisher: %v", e)
	}
	if n := len(edge.LogEntriesWhere("on-demand start")); n != tries {
		b.Fatalf("%d on-demand starts logged, want %d", n, tries)
	}
	srcBenchReportPcts(b, "first_frame_", firstFrame, 50, 90)
	srcBenchReportPcts(b, "first_pkt_", firstPkt, 50, 90)
	srcBenchReportPcts(b, "play_", play, 50, 90)
	srcBenchReportPcts(b, "idr_wait_", idrWait, 50)
	srcBenchReportPcts(b, "after_idr_", afterIDR, 50, 90)
	b.ReportMetric(float64(missed), "missed_idrs")
}
