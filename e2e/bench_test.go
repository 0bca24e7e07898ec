package e2e_test

// Benchmarks of the RTSP plane against the real binary (run them with
// `go test ./e2e -run '^$' -bench . -benchtime 1x` or a longer -benchtime
// for the connection benchmarks). Client and daemon share the machine: the
// figures are what one box does with both ends on it.

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	zmq "github.com/pebbe/zmq4"
	"github.com/pion/rtp"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

const benchArgonUser = "argonbench"

// benchUserHZ is the clock tick of /proc/PID/stat (USER_HZ, 100 on Linux).
const benchUserHZ = 100.0

var (
	benchArgonOnce sync.Once
	benchArgonHash string
)

// BenchmarkRTSPDescribeConns: new RTSP connections per second, each a
// fresh TCP connection with an authenticated DESCRIBE of a published path,
// then closed; an argon2 user (its verification cached after the first
// login) and a plain-password user. Two clients:
//   - gortsplib: DESCRIBE, 401, DESCRIBE again with the credentials (what
//     ffmpeg and GStreamer do);
//   - challenged: the same exchange as gortsplib (DESCRIBE, 401, DESCRIBE
//     with Basic on the same connection) by a small hand-written client, so
//     that the load generator takes less of the two CPUs the daemon shares;
//   - preemptive: one DESCRIBE carrying Authorization: Basic (what a client
//     that knows the server asks for Basic sends), by the same client.
func BenchmarkRTSPDescribeConns(b *testing.B) {
	benchArgonOnce.Do(func() {
		benchArgonHash = hashArgon2(b, rtspArgonPass, "--memory", "65536", "--time", "3", "--threads", "1")
	})
	for _, client := range []string{"gortsplib", "challenged", "preemptive"} {
		for _, c := range []struct{ name, user, pass string }{
			{"argon2", benchArgonUser, rtspArgonPass},
			{"plain", rtspReadUser, rtspReadPass},
		} {
			b.Run(client+"/"+c.name, func(b *testing.B) {
				d := startRTSPDaemon(b, rtspSetup{
					users: fmt.Sprintf("- {user: %s, pass: '%s', permissions: [{action: read}]}\n", benchArgonUser, benchArgonHash),
				})
				rtspGoPublish(b, rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
				rtspWaitPath(b, d, "cam", 5*time.Second, nil)
				u := rtspURL(d, c.user, c.pass, "cam")
				describe := map[string]func(string) error{
					"gortsplib":  rtspDescribe,
					"challenged": func(u string) error { return rtspDescribeRaw(u, false) },
					"preemptive": func(u string) error { return rtspDescribeRaw(u, true) },
				}[client]
				if err := describe(u); err != nil { // the argon2 verification, then cached
					b.Fatalf("first DESCRIBE: %v", err)
				}
				var failed atomic.Int64
				var firstErr atomic.Value
				b.SetParallelism(8)
				ticks0, _ := benchProcStat(b, d.PID())
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := describe(u); err != nil {
							if failed.Add(1) == 1 {
								firstErr.Store(err.Error())
							}
						}
					}
				})
				b.StopTimer()
				ticks1, _ := benchProcStat(b, d.PID())
				if n := failed.Load(); n > 0 {
					b.Fatalf("%d of %d DESCRIBEs failed, the first: %v", n, b.N, firstErr.Load())
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
				// The daemon's share of the machine (the clients take the rest)
				// and its throughput per CPU-second it used.
				cpu := float64(ticks1-ticks0) / benchUserHZ
				b.ReportMetric(cpu/b.Elapsed().Seconds()*100, "daemon_cpu%")
				if cpu > 0 {
					b.ReportMetric(float64(b.N)/cpu, "conns/daemon_cpu_s")
				}
			})
		}
	}
}

// rtspDescriber sends hand-written DESCRIBE requests on one connection.
type rtspDescriber struct {
	conn   net.Conn
	r      *textproto.Reader
	target string
	cseq   int
}

func dialDescriber(addr, path string) (*rtspDescriber, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	return &rtspDescriber{conn: conn, r: textproto.NewReader(bufio.NewReader(conn)), target: "rtsp://" + addr + path}, nil
}

// mustDialDescriber is dialDescriber that fails the test when the dial
// fails; the caller closes c.conn.
func mustDialDescriber(t testing.TB, addr, path string) *rtspDescriber {
	t.Helper()
	c, err := dialDescriber(addr, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// describe sends DESCRIBE with an Authorization header value ("" for
// none) and reads the answer (status line, headers, body).
func (c *rtspDescriber) describe(authorization string) (status string, h textproto.MIMEHeader, err error) {
	c.cseq++
	header := ""
	if authorization != "" {
		header = "Authorization: " + authorization + "\r\n"
	}
	if _, err := fmt.Fprintf(c.conn, "DESCRIBE %s RTSP/1.0\r\nCSeq: %d\r\nAccept: application/sdp\r\n%s\r\n", c.target, c.cseq, header); err != nil {
		return "", nil, err
	}
	if status, err = c.r.ReadLine(); err != nil {
		return "", nil, err
	}
	if h, err = c.r.ReadMIMEHeader(); err != nil {
		return "", nil, err
	}
	if n, _ := strconv.Atoi(h.Get("Content-Length")); n > 0 {
		if _, err := io.ReadFull(c.r.R, make([]byte, n)); err != nil {
			return "", nil, err
		}
	}
	return status, h, nil
}

// mustDescribe is describe that fails the test on a network error.
func (c *rtspDescriber) mustDescribe(t testing.TB, authorization string) (string, textproto.MIMEHeader) {
	t.Helper()
	status, h, err := c.describe(authorization)
	if err != nil {
		t.Fatal(err)
	}
	return status, h
}

// rtspDescribeRaw connects and sends DESCRIBE with the URL's credentials as
// Basic: at once when preemptive, else first without them, expecting 401,
// then again on the same connection; the last answer must be 200.
func rtspDescribeRaw(rtspURL string, preemptive bool) error {
	u, err := url.Parse(rtspURL)
	if err != nil {
		return err
	}
	pass, _ := u.User.Password()
	c, err := dialDescriber(u.Host, u.Path)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	if !preemptive {
		status, _, err := c.describe("")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(status, "RTSP/1.0 401") {
			return fmt.Errorf("DESCRIBE without credentials: %s", status)
		}
	}
	status, _, err := c.describe("Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass)))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "RTSP/1.0 200") {
		return fmt.Errorf("DESCRIBE: %s", status)
	}
	return nil
}

// benchH264 encodes seconds of a 1280x720, 25 fps test source with libx264
// at 2 Mbit/s (a keyframe every gop frames, exactly: no scene-cut
// keyframes) and returns its access units (Annex-B split at the access unit
// delimiters, which are dropped) and the first SPS and PPS.
func benchH264(b *testing.B, seconds, gop int) (aus [][][]byte, sps, pps []byte) {
	b.Helper()
	return benchH264At(b, seconds, gop, "1280x720", "2M")
}

// benchH264At is benchH264 at another picture size (WxH) and bit rate
// (ffmpeg's notation: 2M, 500k).
func benchH264At(b *testing.B, seconds, gop int, size, rate string) (aus [][][]byte, sps, pps []byte) {
	b.Helper()
	testharness.RequirePeer(b, "ffmpeg", "ffmpeg")
	file := filepath.Join(b.TempDir(), "bench.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size="+size+":rate=25", "-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
		"-b:v", rate, "-maxrate", rate, "-bufsize", "1M", "-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop),
		"-bf", "0", "-x264-params", "aud=1:scenecut=0", "-f", "h264", file).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	var cur [][]byte
	for _, n := range benchSplitAnnexB(raw) {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		case h264.NALUTypeSPS:
			if sps == nil {
				sps = n
			}
		case h264.NALUTypePPS:
			if pps == nil {
				pps = n
			}
		}
		cur = append(cur, n)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	if len(aus) == 0 || sps == nil || pps == nil {
		b.Fatalf("no access units or parameter sets in the encoded stream")
	}
	return aus, sps, pps
}

// benchSplitAnnexB splits an Annex-B byte stream into its NAL units (the
// whole file: mediacommon's AnnexB caps the count at one access unit's).
func benchSplitAnnexB(raw []byte) [][]byte {
	var starts []int // the first byte of each NAL unit
	for i := 0; i+3 <= len(raw); i++ {
		if raw[i] == 0 && raw[i+1] == 0 && raw[i+2] == 1 {
			starts = append(starts, i+3)
			i += 2
		}
	}
	var nalus [][]byte
	for k, s := range starts {
		end := len(raw)
		if k+1 < len(starts) {
			end = starts[k+1] - 3
			if end > s && raw[end-1] == 0 { // a 4-byte start code
				end--
			}
		}
		if end > s {
			nalus = append(nalus, raw[s:end])
		}
	}
	return nalus
}

// benchProcStat is the CPU time (utime+stime, clock ticks) and VmRSS (kB)
// of process pid.
func benchProcStat(b *testing.B, pid int) (ticks int64, rssKB int64) {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name (which ends with the last ')').
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	st, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rssKB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return utime + stime, rssKB
}

// BenchmarkRTSPPublisher50Readers: one ~2 Mbit/s H.264 publisher (a Go
// client sending pre-encoded access units at 25 fps) and 50 RTSP readers
// (Go clients over TCP) on one path with Savant output. Over a fixed
// window it reports the daemon's CPU (% of one CPU, from /proc/PID/stat),
// its RSS (VmRSS) and the latency from the publisher writing an access unit
// to a Go ZeroMQ SUB on the Savant endpoint receiving the VideoFrame with
// that pts (p50, p99, max). b.N is not used: run it with -benchtime 1x.
//
// The sub-benchmark readers=0 is the baseline without the readers.
func BenchmarkRTSPPublisher50Readers(b *testing.B) {
	for _, n := range []int{50, 0} {
		b.Run(fmt.Sprintf("readers=%d", n), func(b *testing.B) { benchPublisherReaders(b, n) })
	}
}

func benchPublisherReaders(b *testing.B, readers int) {
	const window, fps = 10 * time.Second, 25
	aus, sps, pps := benchH264(b, 8, 50)
	ep := testharness.IPCEndpoint(b, "bench")
	d := startRTSPDaemon(b, rtspSetup{top: "savant:\n  url: pub+bind:" + ep + "\n"})

	sub, err := zmq.NewSocket(zmq.SUB)
	if err != nil {
		b.Fatal(err)
	}
	_ = sub.SetSubscribe("")
	_ = sub.SetRcvtimeo(200 * time.Millisecond)
	_ = sub.SetRcvhwm(100000)
	if err := sub.Connect(ep); err != nil {
		b.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the subscription reaches the PUB

	// sent[i]: when the publisher started writing access unit i (unix ns).
	total := int(window.Seconds()*fps) + 5*fps
	sent := make([]atomic.Int64, total)
	var mu sync.Mutex
	var latencies, keyLatencies []time.Duration
	var frames, unmatched atomic.Int64
	stopSub := make(chan struct{})
	subDone := make(chan struct{})
	var measuring atomic.Bool
	go func() {
		defer close(subDone)
		defer sub.Close()
		for {
			select {
			case <-stopSub:
				return
			default:
			}
			parts, err := sub.RecvMessageBytes(0)
			now := time.Now().UnixNano()
			if err != nil || len(parts) < 2 || string(parts[0]) != "cam" {
				continue
			}
			var m pb.Message
			if proto.Unmarshal(parts[1], &m) != nil || m.GetVideoFrame() == nil {
				continue
			}
			frames.Add(1)
			// The daemon's pts starts at 0 with the first access unit.
			i := int(math.Round(float64(m.GetVideoFrame().GetPts()) / (1e9 / fps)))
			if i < 0 || i >= total || sent[i].Load() == 0 {
				unmatched.Add(1)
				continue
			}
			if measuring.Load() {
				mu.Lock()
				l := time.Duration(now - sent[i].Load())
				latencies = append(latencies, l)
				if m.GetVideoFrame().GetKeyframe() {
					keyLatencies = append(keyLatencies, l)
				}
				mu.Unlock()
			}
		}
	}()

	var sentBytes atomic.Int64
	feed, err := startRTSPGoFeed(b, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), sps, pps, fps,
		func(i int) [][]byte {
			if i >= total {
				return nil
			}
			return aus[i%len(aus)]
		},
		func(i int, pkts []*rtp.Packet) {
			sent[i].Store(time.Now().UnixNano())
			for _, p := range pkts {
				sentBytes.Add(int64(len(p.Payload)))
			}
		})
	if err != nil {
		b.Fatalf("publisher: %v", err)
	}

	rtspWaitPath(b, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	rs := make([]*rtspGoReader, 0, readers)
	for range readers {
		r, err := rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, "cam"))
		if err != nil {
			b.Fatalf("reader %d: %v", len(rs), err)
		}
		rs = append(rs, r)
	}
	time.Sleep(2 * time.Second) // warm-up: every reader playing

	b.ResetTimer()
	ticks0, _ := benchProcStat(b, d.PID())
	bytes0 := sentBytes.Load()
	pkts0, _ := rtspReadersPackets(rs)
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(window)
	measuring.Store(false)
	elapsed := time.Since(t0)
	ticks1, rss := benchProcStat(b, d.PID())
	bytes1 := sentBytes.Load()
	pkts1, starved := rtspReadersPackets(rs)
	b.StopTimer()

	feed.Stop()
	for _, r := range rs {
		r.Close()
	}
	close(stopSub)
	<-subDone
	if e := feed.Err(); e != "" {
		b.Fatalf("publisher: %v", e)
	}
	if starved > 0 {
		b.Fatalf("%d of %d readers received nothing", starved, readers)
	}
	mu.Lock()
	lat := slices.Clone(latencies)
	keyMax := time.Duration(0)
	if len(keyLatencies) > 0 {
		keyMax = slices.Max(keyLatencies)
	}
	mu.Unlock()
	if len(lat) < int(window.Seconds()*fps)/2 {
		b.Fatalf("only %d latency samples (%d frames, %d unmatched)", len(lat), frames.Load(), unmatched.Load())
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)]) / 1e6
	}
	b.ReportMetric(float64(ticks1-ticks0)/benchUserHZ/elapsed.Seconds()*100, "cpu%")
	b.ReportMetric(float64(rss)/1024, "rss_MiB")
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max_ms")
	b.ReportMetric(float64(keyMax)/1e6, "keyframe_max_ms")
	b.ReportMetric(float64(bytes1-bytes0)*8/elapsed.Seconds()/1e6, "pub_Mbit/s")
	if readers > 0 {
		b.ReportMetric(float64(pkts1-pkts0)/elapsed.Seconds()/float64(readers), "pkts/s/reader")
	}
	b.ReportMetric(float64(len(lat)), "samples")
}
