package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/gateway"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
	"github.com/streamgate/streamgate/protocols/savant/savanttest"
	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

const payloadSize = 100 << 10

// BenchmarkRawPubSub is the baseline (testharness.RawPubSub): pebbe/zmq4
// PUB → SUB over ipc, in a process whose C heap is tuned as the daemon's is
// (savant.TuneMalloc), so that both benchmarks run on the same libzmq
// allocations. Two ways to drive it, the better one being the baseline:
//   - flood: the publisher sends as fast as it can and the PUB drops what
//     the SUB does not take (the publisher competes with the SUB for CPU);
//   - nodrop: ZMQ_XPUB_NODROP and blocking sends, so the publisher waits at
//     the high-water mark and every message is delivered.
//
// Two sizes: "100KB", the plain load's frame, and "rich-size", a message as
// large as the rich load's (the frame plus its 14 KB of metadata), so that
// each gateway case has a baseline carrying as many bytes a message.
func BenchmarkRawPubSub(b *testing.B) {
	_ = savant.TuneMalloc()
	meta, _ := proto.Marshal(savanttest.Frame(20, 10))
	for _, size := range []struct {
		name string
		n    int
	}{{"100KB", payloadSize}, {"rich-size", payloadSize + len(meta)}} {
		data := bytes.Repeat([]byte{2}, size.n)
		for _, nodrop := range []bool{false, true} {
			b.Run(size.name+"/"+map[bool]string{false: "flood", true: "nodrop"}[nodrop], func(b *testing.B) {
				i := 0
				cpu := cpuTime()
				start := time.Now()
				mbps, delivered := testharness.RawPubSub(b, nodrop, data, func() bool { i++; return i <= b.N })
				msgs := delivered / 100 * float64(b.N)
				b.ReportMetric(mbps*float64(payloadSize)/float64(size.n), "MB/s") // frame bytes, as the gateway counts
				b.ReportMetric(msgs/time.Since(start).Seconds(), "msg/s")
				b.ReportMetric(delivered, "%delivered")
				reportCPU(b, cpu, msgs)
			})
		}
	}
}

// BenchmarkGatewayPub posts 100 KB Media bodies as an argon2 user (password
// "password", m=64 MiB, t=3, p=2; decisions cached) through the gateway
// handler and the Savant writer to a SUB: "plain" a VideoFrame with no
// metadata, "rich" one with 20 objects of 10 attributes each (all of it
// decoded and validated as savant-core would), and "plain-rich-size" the
// plain frame with an opaque extra part as large as the rich load's
// metadata in front of the 100 KB frame: as many bytes a request and on
// the socket as "rich", next to nothing to check, so that rich ÷
// plain-rich-size is what the checks cost.
func BenchmarkGatewayPub(b *testing.B) {
	richMeta, _ := proto.Marshal(savanttest.Frame(20, 10))
	plainMeta, _ := proto.Marshal(savanttest.Frame(0, 0))
	pad := bytes.Repeat([]byte{1}, len(richMeta)-len(plainMeta))
	for _, c := range []struct {
		name  string
		msg   *pb.Message
		extra [][]byte
	}{
		{"plain", savanttest.Frame(0, 0), nil},
		{"rich", savanttest.Frame(20, 10), nil},
		{"plain-rich-size", savanttest.Frame(0, 0), [][]byte{pad}},
	} {
		b.Run(c.name, func(b *testing.B) { benchGatewayPub(b, c.msg, c.extra) })
	}
}

// benchGatewayPub runs the load; extra parts go in front of the frame (the
// SUB counts the last part, the frame).
func benchGatewayPub(b *testing.B, msg *pb.Message, extra [][]byte) {
	endpoint := testharness.IPCEndpoint(b, "gw")
	u, _ := savanturl.Parse("pub+bind:" + endpoint)
	w, err := savant.NewWriter(savant.Config{URL: u, SendTimeout: time.Second, SendRetries: 3, ReceiveTimeout: time.Second,
		ReceiveRetries: 3, SendHWM: 1000, ReceiveHWM: 1000, FixIPCPermissions: 0o777, QueueSize: 1000}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(context.Background())
	c, err := config.Parse("bench.yml", []byte(`
authInternalUsers:
- user: cam
  pass: argon2:$argon2id$v=19$m=65536,t=3,p=2$P7O4K8jTE+jeImfQdvQmnA$R0J/V4zUnzFuqG2ntwfygaOPk8Tybg4QwP/1WgwFUno
  permissions: [{action: gateway}]
`), nil)
	if err != nil {
		b.Fatal(err)
	}
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(authn.QuarantineLimits{})
	v := authn.NewVerifier(0, q, m)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{authn.NewInternal(daemon.InternalUsers(c), v)}, CacheSize: 100, CacheTTL: time.Hour},
		authn.Deps{Verifier: v, Quarantine: q, Metrics: m})
	h := &gateway.Handler{Auth: p, Writer: w, Realm: func() string { return "r" }, MaxBodySize: func() int64 { return 16 << 20 },
		TrustedProxies: func() []netip.Prefix { return nil }, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body, _ := proto.Marshal(&pb.Media{Message: msg, Topic: []byte("cam"), Data: append(extra, bytes.Repeat([]byte{2}, payloadSize))})
	// One request the ordinary way: the one argon2 run.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/protobuf")
	req.SetBasicAuth("cam", "password")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("first POST: %v %v", resp, err)
	}
	resp.Body.Close()
	// The load: 8 lean clients (testharness.PostLoop, like wrk).
	wire := testharness.EncodeRequest(b, srv.URL+"/", "application/protobuf", body, "cam", "password")
	sub := testharness.CountSub(b, endpoint)
	defer sub.Stop()
	b.SetBytes(payloadSize)
	b.ResetTimer()
	cpu := cpuTime()
	start := time.Now()
	b.SetParallelism(4) // 8 clients on 2 CPUs
	b.RunParallel(func(pb *testing.PB) {
		_, other, err := testharness.PostLoop(srv.Listener.Addr().String(), wire, pb.Next)
		if err != nil || other > 0 {
			b.Errorf("%d answers other than 200, error %v", other, err)
		}
	})
	sub.Drain(int64(b.N) * payloadSize)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(sub.Received())/elapsed.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(sub.Received())/payloadSize/elapsed.Seconds(), "msg/s")
	b.ReportMetric(100*float64(sub.Received())/float64(int64(b.N)*payloadSize), "%delivered")
	reportCPU(b, cpu, float64(sub.Received())/payloadSize)
}

// cpuTime is the CPU time the process has used so far (user and system,
// every thread: the clients, the handler, libzmq's and the SUB's).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per delivered message since
// start: on a shared machine a steadier measure of the cost of a message
// than MB/s, which depends on how much CPU the neighbours leave.
func reportCPU(b *testing.B, start time.Duration, delivered float64) {
	if delivered > 0 {
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/delivered, "CPU-us/msg")
	}
}
