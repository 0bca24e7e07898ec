package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// Seed 001 "Testing", automated: the Media Gateway server JSON from the
// seed (e2e/testdata/media-gateway-server.json, verbatim) runs against a real
// etcd with TLS client certificates, and the curl sequence of the guide
// answers as the guide says, with the quarantine period shortened to 3 s.
func TestSeed001MediaGatewayServer(t *testing.T) {
	t.Parallel()
	const period = 3 * time.Second
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/user1", userRecord(seedHash1, ""))
	d := startSeedGateway(t, e)
	gw := d.URL("gateway", "/")

	// The health endpoint is the only one open to anyone.
	a := get(t, d.URL("gateway", "/health"))
	wantStatus(t, "GET /health", a, http.StatusOK)
	if strings.TrimSpace(a.body) != `{"status":"healthy"}` {
		t.Errorf("GET /health body %q, want {\"status\":\"healthy\"}", a.body)
	}

	// curl -u user1:password1 -X POST: authenticated, the empty body is refused.
	wantStatus(t, "user1:password1, empty body", post(t, gw, "", nil, basicAuth("user1", "password1")), http.StatusBadRequest)
	// curl -u user1:password -X POST, three times.
	for i := range 3 {
		wantChallenge(t, fmt.Sprintf("user1:password #%d", i+1), post(t, gw, "", nil, basicAuth("user1", "password")), "streamgate")
	}
	quarantined := time.Now()
	// The right password is refused for the period, then accepted.
	for {
		a := post(t, gw, "", nil, basicAuth("user1", "password1"))
		if a.status == http.StatusBadRequest {
			if el := time.Since(quarantined); el < period-300*time.Millisecond {
				t.Errorf("user1 released after %s, before the quarantine period of %s", el, period)
			}
			break
		}
		wantChallenge(t, "user1:password1 while quarantined", a, "streamgate")
		if time.Since(quarantined) > period+3*time.Second {
			t.Fatalf("user1:password1 still refused %s after the third failure (period %s)", time.Since(quarantined), period)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// A user added to etcd is accepted without a restart.
	e.Put(t, "/users/user2", userRecord(seedHash2, ""))
	waitStatus(t, "user2:password2 after it was put", 2*time.Second, http.StatusBadRequest,
		func() answer { return post(t, gw, "", nil, basicAuth("user2", "password2")) })
	// A changed hash takes effect at once: the old password stops working
	// (the cached decision is dropped) and the new one works.
	e.Put(t, "/users/user2", userRecord(seedHash0, ""))
	waitStatus(t, "user2:password2 after the hash changed", 2*time.Second, http.StatusUnauthorized,
		func() answer { return post(t, gw, "", nil, basicAuth("user2", "password2")) })
	wantStatus(t, "user2:password after the hash changed", post(t, gw, "", nil, basicAuth("user2", "password")), http.StatusBadRequest)
	assertNotLogged(t, d, "password1", "password2", seedHash1, seedHash2)
}

// startSeedGateway runs the daemon on seed 001's server JSON, pointed at e:
// $HOST_IP and $ETCD_PORT come from the environment (the parser expands
// them), the /etc/certs files are e's, the port is 0, the output a PUB
// bound on a fresh ipc path and the quarantine period 3 s.
func startSeedGateway(t *testing.T, e *testharness.Etcd) *testharness.Daemon {
	t.Helper()
	data, err := os.ReadFile("testdata/media-gateway-server.json")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	replace := func(old, new string) {
		t.Helper()
		if strings.Count(text, old) != 1 {
			t.Fatalf("the seed's server JSON has %d × %q, want 1", strings.Count(text, old), old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	replace(`"ip": "0.0.0.0"`, `"ip": "127.0.0.1"`)
	replace(`"port": 8080`, `"port": 0`)
	replace(`"/etc/certs/ca.crt"`, `"`+e.CAFile+`"`)
	replace(`"/etc/certs/client.crt"`, `"`+e.CertFile+`"`)
	replace(`"/etc/certs/client.key"`, `"`+e.KeyFile+`"`)
	replace(`"pub+bind:ipc:///tmp/server"`, `"pub+bind:`+testharness.IPCEndpoint(t, "server")+`"`)
	// The quarantine's period, not the caches' (same text, earlier).
	q := strings.Index(text, `"quarantine"`)
	if q < 0 || !strings.Contains(text[q:], `"secs": 60`) {
		t.Fatal("the seed's server JSON has no quarantine period of 60 s")
	}
	text = text[:q] + strings.Replace(text[q:], `"secs": 60`, `"secs": 3`, 1)
	return testharness.Start(t, text, testharness.ConfigFileName("media-gateway-server.json"),
		testharness.WithEnv("HOST_IP=127.0.0.1", fmt.Sprintf("ETCD_PORT=%d", e.Port())))
}

// userRecord is an etcd user record of the seed 001 schema; labels is a
// JSON rule or "".
func userRecord(hash, labels string) string {
	if labels == "" {
		return `{"password_hash": "` + hash + `"}`
	}
	return `{"password_hash": "` + hash + `", "allowed_routing_labels": ` + labels + `}`
}

// post sends POST url with a body and a Content-Type ("" sends none).
func post(t testing.TB, url, contentType string, body []byte, opts ...reqOpt) answer {
	t.Helper()
	a, err := tryPost(defaultClient, url, contentType, body, opts...)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return a
}

// postMedia posts a Media body as application/protobuf.
func postMedia(t testing.TB, url string, body []byte, opts ...reqOpt) answer {
	t.Helper()
	return post(t, url, "application/protobuf", body, opts...)
}

// tryPost is post for goroutines other than the test's.
func tryPost(c *http.Client, url, contentType string, body []byte, opts ...reqOpt) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(c, req, opts...)
}

// waitStatus repeats send (every 50 ms) until it answers want, for at most
// timeout, and fails the test with the last answer otherwise.
func waitStatus(t testing.TB, what string, timeout time.Duration, want int, send func() answer) {
	t.Helper()
	start := time.Now()
	for {
		a := send()
		if a.status == want {
			t.Logf("%s: %d after %s", what, want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s: still %d after %s, want %d", what, a.status, timeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mediaBody is a Media POST body and the parts it was composed of, so that
// what a reader receives can be compared byte for byte.
type mediaBody struct {
	body    []byte
	topic   []byte
	message []byte // field 1, exactly as posted
	data    [][]byte
}

// appendField appends to b the length-delimited protobuf field num holding v.
func appendField(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

// composeMedia marshals msg on its own and composes the Media body around
// those bytes (field 1 message, 2 topic, 3 data). The message bytes start
// with system_id (field 20) out of field order, which a gateway that
// re-encoded the message would change: a forwarded copy must be identical.
func composeMedia(t testing.TB, msg *pb.Message, topic string, data ...[]byte) mediaBody {
	t.Helper()
	sys := msg.SystemId
	msg = proto.CloneOf(msg)
	msg.SystemId = ""
	rest, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var m []byte
	if sys != "" {
		m = appendField(m, 20, []byte(sys))
	}
	m = append(m, rest...)
	mb := mediaBody{topic: []byte(topic), message: m, data: data}
	mb.body = appendField(appendField(nil, 1, m), 2, mb.topic)
	for _, d := range data {
		mb.body = appendField(mb.body, 3, d)
	}
	// The composition is a valid Media carrying msg.
	var back pb.Media
	if err := proto.Unmarshal(mb.body, &back); err != nil {
		t.Fatalf("composed Media does not decode: %v", err)
	}
	want := proto.CloneOf(msg)
	want.SystemId = sys
	if !proto.Equal(back.Message, want) || string(back.Topic) != topic || len(back.Data) != len(data) {
		t.Fatalf("composed Media decodes to %v, want %v", back.Message, want)
	}
	return mb
}

// videoFrame is a Savant VideoFrame message as a Savant adapter sends it:
// H.264, the bytes in an extra frame (external zeromq).
func videoFrame(source string, seq uint64, labels ...string) *pb.Message {
	codec, key := "h264", true
	return &pb.Message{
		ProtocolVersion:   "1.15.1",
		RoutingLabels:     labels,
		PropagatedContext: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k": "v"},
		SeqId:             seq,
		SystemId:          "e2e-system",
		Content: &pb.Message_VideoFrame{VideoFrame: &pb.VideoFrame{
			SourceId: source, Uuid: "0190f3a4-6a9b-7cc2-9c0e-2d3b5f1e8a77", Framerate: "30/1",
			Width: 1280, Height: 720, TranscodingMethod: pb.VideoFrameTranscodingMethod_ENCODED,
			Codec: &codec, Keyframe: &key, TimeBaseNumerator: 1, TimeBaseDenominator: 1000000000,
			Pts:     int64(seq) * 33333333,
			Content: &pb.VideoFrame_External{External: &pb.ExternalFrame{Method: "zeromq"}},
			Transformations: []*pb.VideoFrameTransformation{{Transformation: &pb.VideoFrameTransformation_InitialSize{
				InitialSize: &pb.InitialSize{Width: 1280, Height: 720}}}},
		}},
	}
}

// endOfStream is a Savant EndOfStream message.
func endOfStream(source string, seq uint64, labels ...string) *pb.Message {
	return &pb.Message{ProtocolVersion: "1.15.1", RoutingLabels: labels, SeqId: seq,
		Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: source}}}
}

// shutdownMessage is a Savant Shutdown message, which must never be forwarded.
func shutdownMessage(labels ...string) *pb.Message {
	return &pb.Message{ProtocolVersion: "1.15.1", RoutingLabels: labels,
		Content: &pb.Message_Shutdown{Shutdown: &pb.Shutdown{Auth: "shutdown-secret"}}}
}

// annexB is a small H.264 access unit (SPS, PPS, IDR slice) with a byte
// of every value in it, so that nothing in the path may treat it as text.
func annexB() []byte {
	au := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84}
	for i := range 256 {
		au = append(au, byte(i))
	}
	return au
}

// wantForwarded checks that a reader got exactly [topic, message, data…].
func wantForwarded(t testing.TB, what string, got testharness.SavantMessage, mb mediaBody) {
	t.Helper()
	want := append([][]byte{mb.topic, mb.message}, mb.data...)
	if len(got.Frames) != len(want) {
		t.Errorf("%s: %d frames, want %d (topic, message, %d data)", what, len(got.Frames), len(want), len(mb.data))
		return
	}
	for i := range want {
		if !bytes.Equal(got.Frames[i], want[i]) {
			t.Errorf("%s: frame %d differs:\n got %x\nwant %x", what, i, got.Frames[i], want[i])
		}
	}
}
