package e2e_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	dto "github.com/prometheus/client_model/go"

	"github.com/streamgate/streamgate/internal/testharness"
)

// TestRTSPMetrics: a publish and a read over RTSP move the listener's
// session, connection and byte metrics, and refused logins count by kind;
// every series carries the listener label, none a user name or path.
func TestRTSPMetrics(t *testing.T) {
	d := startRTSPDaemon(t, rtspSetup{})
	lbl := func(kv ...string) map[string]string {
		m := map[string]string{"listener": "rtsp"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// Exported before anything happened: every label value at 0.
	fams := d.MetricFamilies(t)
	for _, name := range []string{"streamgate_rtsp_connections", "streamgate_rtsp_sessions",
		"streamgate_rtsp_received_bytes_total", "streamgate_rtsp_sent_bytes_total", "streamgate_rtsp_auth_refusals_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s not exported at start", name)
		}
	}

	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	r, err := rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, "cam"))
	if err != nil {
		t.Fatalf("read: %v\n%s", err, d.Logs())
	}
	waitMetric(t, d, "both sessions counted", func(f metricFams) bool {
		return f.v("streamgate_rtsp_sessions", lbl("action", "publish")) == 1 &&
			f.v("streamgate_rtsp_sessions", lbl("action", "read")) == 1 &&
			f.v("streamgate_rtsp_connections", lbl()) == 2
	})
	// The reader gets packets; the bytes move both ways.
	first := d.MetricFamilies(t)
	recv0 := testharness.MetricValue(first, "streamgate_rtsp_received_bytes_total", lbl())
	sent0 := testharness.MetricValue(first, "streamgate_rtsp_sent_bytes_total", lbl())
	if recv0 == 0 || sent0 == 0 {
		t.Errorf("bytes received %v, sent %v after a publish and a read", recv0, sent0)
	}
	waitMetric(t, d, "bytes growing while media flows", func(f metricFams) bool {
		return f.v("streamgate_rtsp_received_bytes_total", lbl()) > recv0 &&
			f.v("streamgate_rtsp_sent_bytes_total", lbl()) > sent0 && r.packets.Load() > 0
	})

	r.Close()
	waitMetric(t, d, "the reader's session gone", func(f metricFams) bool {
		return f.v("streamgate_rtsp_sessions", lbl("action", "read")) == 0 &&
			f.v("streamgate_rtsp_sessions", lbl("action", "publish")) == 1
	})

	// Refusals: no credentials (ask), a wrong password (denied), a user
	// without the permission (forbidden).
	before := d.MetricFamilies(t)
	_ = rtspDescribe(rtspURL(d, "", "", "cam"))
	_ = rtspDescribe(rtspURL(d, rtspReadUser, "wrong-password", "cam"))
	_ = rtspDescribe(rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	waitMetric(t, d, "refusals by kind", func(f metricFams) bool {
		grew := func(kind string) bool {
			l := lbl("kind", kind)
			return f.v("streamgate_rtsp_auth_refusals_total", l) > testharness.MetricValue(before, "streamgate_rtsp_auth_refusals_total", l)
		}
		return grew("ask") && grew("denied") && grew("forbidden")
	})

	for _, name := range []string{"streamgate_rtsp_connections", "streamgate_rtsp_sessions",
		"streamgate_rtsp_received_bytes_total", "streamgate_rtsp_sent_bytes_total", "streamgate_rtsp_auth_refusals_total"} {
		for _, m := range d.MetricFamilies(t)[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "listener", "action", "kind":
				default:
					t.Errorf("%s has label %s=%q", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

// metricFams is one scrape.
type metricFams map[string]*dto.MetricFamily

// v is the sum of name's series with labels.
func (f metricFams) v(name string, labels map[string]string) float64 {
	return testharness.MetricValue(f, name, labels)
}

// waitMetric scrapes d until ok holds, failing after a deadline.
func waitMetric(t *testing.T, d *testharness.Daemon, what string, ok func(metricFams) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		f := metricFams(d.MetricFamilies(t))
		if ok(f) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s; metrics:\n%s", what, d.MetricsText(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRTSPMetricsUDPBytes: the media of a session over UDP, which does not
// pass through its TCP connection, is counted in the received bytes once
// the session ends.
func TestRTSPMetricsUDPBytes(t *testing.T) {
	var d *testharness.Daemon
	onUDPPair(t, func(port int) (err error) {
		d, err = tryStartRTSPDaemon(t, rtspSetup{top: fmt.Sprintf("rtspTransports: [udp, tcp]\nrtpAddress: 127.0.0.1:%d\nrtcpAddress: 127.0.0.1:%d\n", port, port+1)})
		return err
	})
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: rtspTestSPS, PPS: rtspTestPPS}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	udp := gortsplib.ProtocolUDP
	c := &gortsplib.Client{Protocol: &udp}
	if err := c.StartRecording(rtspURL(d, rtspPubUser, rtspPubPass, "cam"), desc); err != nil {
		t.Fatalf("UDP publisher: %v", err)
	}
	enc, err := forma.CreateEncoder()
	if err != nil {
		t.Fatal(err)
	}
	nal := append([]byte{0x65}, bytes.Repeat([]byte{0x11}, 1199)...)
	var sent int
	for i := range 100 {
		pkts, err := enc.Encode([][]byte{nal})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = uint32(i * 3000)
			if err := c.WritePacketRTP(desc.Medias[0], p); err != nil {
				t.Fatal(err)
			}
			sent += len(p.Payload)
		}
	}
	// The session's media is counted when it ends: end it only once the
	// daemon has taken the packets (a burst closed at once may still sit
	// in the socket buffer on a busy machine).
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived >= uint64(sent/2) })
	c.Close()
	lbl := map[string]string{"listener": "rtsp"}
	// Loopback UDP may drop a packet under load: half of the payload
	// sent is far more than the TCP requests of the session carry.
	waitMetric(t, d, "the UDP session's bytes counted when it ended", func(f metricFams) bool {
		return f.v("streamgate_rtsp_sessions", lbl) == 0 &&
			f.v("streamgate_rtsp_received_bytes_total", lbl) >= float64(sent/2)
	})
}
