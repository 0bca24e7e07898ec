package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant"
)

// gatewayBenchPayload is the size of the data frame of every benchmark message.
const gatewayBenchPayload = 100 << 10

// BenchmarkGatewayDaemon is the gateway as deployed: the streamgate binary
// (gateway + Savant writer pub+bind:ipc) in its own process, 8 keep-alive
// clients posting 100 KB Media bodies as an argon2id user (decisions
// cached) from this process (testharness.PostLoop), and a Go SUB here counting what arrives. The
// baseline, raw pebbe/zmq4 PUB → SUB over ipc in this process (C heap tuned
// as the daemon's), runs for the same window first. b.N is not used: run
// it with -benchtime 1x.
func BenchmarkGatewayDaemon(b *testing.B) {
	const clients, window = 8, 5 * time.Second
	benchArgonOnce.Do(func() {
		benchArgonHash = hashArgon2(b, rtspArgonPass, "--memory", "65536", "--time", "3", "--threads", "1")
	})
	data := bytes.Repeat([]byte{2}, gatewayBenchPayload)

	// Baselines: raw PUB → SUB in this process, flooding and flow-controlled;
	// the better one counts.
	_ = savant.TuneMalloc()
	raw := func(nodrop bool) float64 {
		start := time.Now()
		mbps, _ := testharness.RawPubSub(b, nodrop, data, func() bool { return time.Since(start) < window })
		return mbps
	}
	floodMBs, nodropMBs := raw(false), raw(true)
	rawMBs := max(floodMBs, nodropMBs)

	// The gateway.
	ep := testharness.IPCEndpoint(b, "gw")
	d := testharness.Start(b, fmt.Sprintf(`
api: no
gateway: yes
gatewayAddress: 127.0.0.1:0
authInternalUsers:
- {user: %s, pass: '%s', permissions: [{action: gateway}]}
savant:
  url: pub+bind:%s
`, benchArgonUser, benchArgonHash, ep))
	gw := d.URL("gateway", "/")
	body := composeMedia(b, videoFrame("cam", 1, "cam"), "cam", data).body
	auth := basicAuth(benchArgonUser, rtspArgonPass)
	wantStatus(b, "first POST (the one argon2 run)", postMedia(b, gw, body, auth), http.StatusOK)
	sub := testharness.CountSub(b, ep)
	wire := testharness.EncodeRequest(b, gw, "application/protobuf", body, benchArgonUser, rtspArgonPass)
	var posted, failed atomic.Int64
	ticks0, _ := benchProcStat(b, d.PID())
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			ok, other, err := testharness.PostLoop(d.Addr("gateway"), wire, func() bool { return time.Since(start) < window })
			posted.Add(ok)
			failed.Add(other)
			if err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	sub.Drain(posted.Load() * gatewayBenchPayload)
	elapsed := time.Since(start)
	ticks1, rss := benchProcStat(b, d.PID())
	sub.Stop()
	gwMBs := float64(sub.Received()) / elapsed.Seconds() / 1e6

	b.ReportMetric(floodMBs, "raw-flood-MB/s")
	b.ReportMetric(nodropMBs, "raw-nodrop-MB/s")
	b.ReportMetric(gwMBs, "gateway-MB/s")
	b.ReportMetric(100*gwMBs/rawMBs, "%of-raw")
	b.ReportMetric(100*float64(sub.Received())/float64(max(1, posted.Load())*gatewayBenchPayload), "%delivered")
	b.ReportMetric(float64(ticks1-ticks0)/benchUserHZ/elapsed.Seconds()*100, "daemon-%CPU")
	b.ReportMetric(float64(rss)/1024, "daemon-RSS-MiB")
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d POSTs failed", n, n+posted.Load())
	}
}
