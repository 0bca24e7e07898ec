package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/testharness"
)

// readerCostCase is one run of BenchmarkRTSPReaderCost: readers of one
// stream of the given bit rate (ffmpeg's notation) and picture size.
type readerCostCase struct {
	readers    int
	rate, size string
}

// readerCostCases are the default runs: 50, 500 and 1 000 readers of a
// 2 Mbit/s 720p stream, and 1 000 readers of a 0.5 Mbit/s 360p stream (a
// quarter of the loopback traffic, so that two CPUs carry it).
var readerCostCases = []readerCostCase{
	{50, "2M", "1280x720"}, {500, "2M", "1280x720"}, {1000, "2M", "1280x720"}, {1000, "500k", "640x360"},
}

// readerCostEnv lists the runs instead: comma-separated READERS[@RATE[@WxH]]
// (e.g. "20" or "1000@500k@640x360"; RATE 2M and 1280x720 by default).
const readerCostEnv = "STREAMGATE_BENCH_READERS"

// BenchmarkRTSPReaderCost: what one more RTSP reader costs the daemon. One
// H.264 publisher (a Go client writing pre-encoded access units at 25 fps);
// the daemon's CPU (% of one CPU) and RSS are measured over a window with no
// reader, then again with N readers playing the path over TCP; it reports
// the difference divided by N (per_reader_KiB, per_reader_cpu%), the CPU per
// reader per Mbit/s of the stream (per_reader_cpu%/Mbit, comparable between
// bit rates), and the share of the published bytes each reader received
// (delivered%: near 100 unless the machine is saturated).
//
// The readers are rtspsink (internal/testharness/rtspsink), a process of its
// own: interleaved TCP, no RTP parsing, read and discard. Its CPU
// (sink_cpu%), the benchmark process's (the publisher: bench_cpu%) and
// every other process's (other_load%, % of all CPUs) are reported beside the
// daemon's. Run it with -benchtime 1x; the cases are readerCostCases or
// those of $STREAMGATE_BENCH_READERS.
func BenchmarkRTSPReaderCost(b *testing.B) {
	cases := readerCostCases
	if v := os.Getenv(readerCostEnv); v != "" {
		cases = nil
		for _, c := range strings.Split(v, ",") {
			f := strings.Split(strings.TrimSpace(c), "@")
			n, err := strconv.Atoi(f[0])
			if err != nil || n <= 0 || len(f) > 3 {
				b.Fatalf("%s: %q: want READERS[@RATE[@WxH]]", readerCostEnv, c)
			}
			rc := readerCostCase{n, "2M", "1280x720"}
			if len(f) > 1 {
				rc.rate = f[1]
			}
			if len(f) > 2 {
				rc.size = f[2]
			}
			cases = append(cases, rc)
		}
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("readers=%d/rate=%s", c.readers, c.rate), func(b *testing.B) { benchReaderCost(b, c) })
	}
}

func benchReaderCost(b *testing.B, c readerCostCase) {
	const window, fps = 10 * time.Second, 25
	sinkBin := testharness.RTSPSink(b)
	aus, sps, pps := benchH264At(b, 8, 50, c.size, c.rate)
	d := startRTSPDaemon(b, rtspSetup{top: "maxConnectionsPerIP: 0\nmaxConnections: 0\n"})

	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	pub := &gortsplib.Client{Protocol: rtspTCP()}
	if err := pub.StartRecording(rtspURL(d, rtspPubUser, rtspPubPass, "cam"), desc); err != nil {
		b.Fatalf("publisher: %v", err)
	}
	defer pub.Close()
	enc, err := forma.CreateEncoder()
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var pubErr atomic.Value
	var pubBytes atomic.Int64 // as a reader receives them: RTP packets, each with the 4-byte interleaved header
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / fps)
		defer tick.Stop()
		for i := 0; ; i++ {
			pkts, err := enc.Encode(aus[i%len(aus)])
			if err != nil {
				pubErr.Store(err.Error())
				return
			}
			for _, p := range pkts {
				p.Timestamp = uint32(i * 90000 / fps)
				if err := pub.WritePacketRTP(desc.Medias[0], p); err != nil {
					pubErr.Store(err.Error())
					return
				}
				pubBytes.Add(int64(p.MarshalSize() + 4))
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-done }()
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

	sink := startRTSPSink(b, sinkBin, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), c.readers)
	time.Sleep(3 * time.Second) // warm-up: every reader playing, a few keyframes sent
	b.ResetTimer()
	got0 := sink.poll(b)
	pub0 := pubBytes.Load()
	w := srcBenchStartPIDs(b, d.PID(), sink.cmd.Process.Pid)
	time.Sleep(window)
	cpus, rss := w.end(b)
	got1 := sink.poll(b)
	pub1 := pubBytes.Load()
	el := time.Since(w.start).Seconds()
	b.StopTimer()
	if e := pubErr.Load(); e != nil {
		b.Fatalf("publisher: %v", e)
	}
	if got1.starved > 0 || got1.alive < c.readers {
		b.Fatalf("%d of %d readers received nothing, %d connections open", got1.starved, c.readers, got1.alive)
	}
	cpu, readers := cpus[0], float64(c.readers)
	mbit := float64(pub1-pub0) * 8 / el / 1e6
	b.ReportMetric(cpu0, "cpu%_0_readers")
	b.ReportMetric(cpu, "cpu%")
	b.ReportMetric((cpu-cpu0)/readers, "per_reader_cpu%")
	b.ReportMetric((cpu-cpu0)/readers/mbit, "per_reader_cpu%/Mbit")
	b.ReportMetric(float64(rss0)/1024, "rss_MiB_0_readers")
	b.ReportMetric(float64(rss[0])/1024, "rss_MiB")
	b.ReportMetric(float64(rss[0]-rss0)/readers, "per_reader_KiB")
	b.ReportMetric(mbit, "stream_Mbit/s")
	b.ReportMetric(float64(got1.bytes-got0.bytes)/float64(pub1-pub0)/readers*100, "delivered%")
	b.ReportMetric(cpus[1], "sink_cpu%")
	self, _ := benchProcStat(b, os.Getpid())
	b.ReportMetric(float64(self-w.self)/benchUserHZ/el*100, "bench_cpu%")
	b.ReportMetric(w.otherLoad, "other_load%")
}

// rtspSink is a running rtspsink process.
type rtspSink struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// rtspSinkCount is what rtspsink answers a poll with.
type rtspSinkCount struct {
	bytes          int64
	starved, alive int
}

// startRTSPSink runs rtspsink with n readers of url and waits until every
// reader plays; it is stopped when the benchmark ends.
func startRTSPSink(b *testing.B, bin, url string, n int) *rtspSink {
	b.Helper()
	s := &rtspSink{cmd: exec.Command(bin, "-url", url, "-n", strconv.Itoa(n))}
	var err error
	if s.in, err = s.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.in.Close() // rtspsink exits when its standard input closes
		ended := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-ended
		}
	})
	s.out = bufio.NewScanner(stdout)
	line := s.line(b, 60*time.Second+time.Duration(n)*50*time.Millisecond)
	if line != "playing "+strconv.Itoa(n) {
		b.Fatalf("rtspsink: %s", line)
	}
	return s
}

// line reads rtspsink's next line, failing the benchmark after timeout.
func (s *rtspSink) line(b *testing.B, timeout time.Duration) string {
	b.Helper()
	got := make(chan string, 1)
	go func() {
		if s.out.Scan() {
			got <- s.out.Text()
			return
		}
		got <- "exited"
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(timeout):
		b.Fatalf("rtspsink: no answer within %s", timeout)
		return ""
	}
}

// poll asks rtspsink for its readers' byte count.
func (s *rtspSink) poll(b *testing.B) rtspSinkCount {
	b.Helper()
	if _, err := io.WriteString(s.in, "\n"); err != nil {
		b.Fatalf("rtspsink: %v", err)
	}
	l := s.line(b, 10*time.Second)
	var c rtspSinkCount
	if _, err := fmt.Sscanf(l, "bytes %d starved %d alive %d", &c.bytes, &c.starved, &c.alive); err != nil {
		b.Fatalf("rtspsink answered %q", l)
	}
	return c
}
