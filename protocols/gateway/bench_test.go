package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/gateway"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

const payloadSize = 100 << 10

// subscriber counts the bytes that reach a SUB socket until stop.
func subscriber(b *testing.B, endpoint string) (received *atomic.Int64, stop func()) {
	sub, err := zmq.NewSocket(zmq.SUB)
	if err != nil {
		b.Fatal(err)
	}
	_ = sub.SetSubscribe("")
	_ = sub.SetRcvhwm(100000)
	_ = sub.SetRcvtimeo(50 * time.Millisecond)
	if err := sub.Connect(endpoint); err != nil {
		b.Fatal(err)
	}
	received = &atomic.Int64{}
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			frames, err := sub.RecvMessageBytes(0)
			if err != nil {
				continue
			}
			for _, f := range frames[1:] {
				received.Add(int64(len(f)))
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // subscription propagation
	return received, func() { close(quit); <-done; sub.Close() }
}

func report(b *testing.B, received int64, elapsed time.Duration, sent int64) {
	b.ReportMetric(float64(received)/elapsed.Seconds()/1e6, "MB/s")
	if sent > 0 {
		b.ReportMetric(100*float64(received)/float64(sent), "%delivered")
	}
}

// BenchmarkRawPubSub is the baseline: pebbe/zmq4 PUB → SUB over ipc.
func BenchmarkRawPubSub(b *testing.B) {
	endpoint := "ipc://" + filepath.Join(b.TempDir(), "raw")
	pub, _ := zmq.NewSocket(zmq.PUB)
	_ = pub.SetSndhwm(1000)
	if err := pub.Bind(endpoint); err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	received, stop := subscriber(b, endpoint)
	msg := bytes.Repeat([]byte{1}, 200)
	data := bytes.Repeat([]byte{2}, payloadSize)
	b.SetBytes(payloadSize)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := pub.SendMessageDontwait("cam", msg, data); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	report(b, received.Load()-int64(b.N)*200, elapsed, int64(b.N)*payloadSize)
}

// BenchmarkGatewayPub posts 100 KB Media bodies as an argon2 user (password
// "password", m=64 MiB, t=3, p=2; decisions cached) through the gateway handler and the Savant writer to a SUB.
func BenchmarkGatewayPub(b *testing.B) {
	endpoint := "ipc://" + filepath.Join(b.TempDir(), "gw")
	u, _ := config.ParseSavantURL("pub+bind:" + endpoint)
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
	v := authn.NewVerifier(0, m)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{authn.NewInternal(c.AuthInternalUsers, v)}, CacheSize: 100, CacheTTL: time.Hour},
		authn.Deps{Verifier: v, Quarantine: authn.NewQuarantine(authn.QuarantineLimits{}), Metrics: m})
	h := &gateway.Handler{Auth: p, Writer: w, Realm: func() string { return "r" }, MaxBodySize: func() int64 { return 16 << 20 },
		TrustedProxies: func() []netip.Prefix { return nil }, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	defer srv.Close()

	msg := &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrame{VideoFrame: &pb.VideoFrame{SourceId: "cam", Width: 1, Height: 1}}}
	body, _ := proto.Marshal(&pb.Media{Message: msg, Topic: []byte("cam"), Data: [][]byte{bytes.Repeat([]byte{2}, payloadSize)}})
	post := func(client *http.Client) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/protobuf")
		req.SetBasicAuth("cam", "password")
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Errorf("status %d", resp.StatusCode)
		}
	}
	post(srv.Client()) // the one argon2 run
	received, stop := subscriber(b, endpoint)
	b.SetBytes(payloadSize)
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		for pb.Next() {
			post(client)
		}
	})
	time.Sleep(50 * time.Millisecond)
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	report(b, received.Load(), elapsed, int64(b.N)*payloadSize)
}
