package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/streamgate/streamgate/internal/testharness"
)

// producer is the internal user the forwarding tests post as.
var producer = basicAuth("producer", "producer-secret-1")

// startForwardingGateway runs a gateway whose Savant output is savant (the
// body of the savant: section, indented by two spaces).
func startForwardingGateway(t *testing.T, savant string) *testharness.Daemon {
	t.Helper()
	return testharness.Start(t, `
api: no
gateway: yes
gatewayAddress: 127.0.0.1:0
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: producer, pass: producer-secret-1, permissions: [{action: gateway}]}
savant:
`+savant)
}

// startPubGateway runs a gateway forwarding over PUB to an IPC endpoint
// named name, with a Python SUB reader on it; it returns the gateway's URL
// and the reader.
func startPubGateway(t *testing.T, name string) (string, *testharness.SavantReader) {
	t.Helper()
	ep := testharness.IPCEndpoint(t, name)
	d := startForwardingGateway(t, "  url: pub+bind:"+ep+"\n")
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "sub", Endpoint: ep})
	return d.URL("gateway", "/"), r
}

// startRetryingGateway is startForwardingGateway with a socket output (req,
// dealer) bound to an IPC endpoint named name, with these send and receive
// timeouts and retries; it returns the endpoint and the gateway's URL.
func startRetryingGateway(t *testing.T, socket, name, sendTimeout string, sendRetries int, receiveTimeout string, receiveRetries int) (ep, gw string) {
	t.Helper()
	ep = testharness.IPCEndpoint(t, name)
	d := startForwardingGateway(t, fmt.Sprintf("  url: %s+bind:%s\n  sendTimeout: %s\n  sendRetries: %d\n  receiveTimeout: %s\n  receiveRetries: %d\n",
		socket, ep, sendTimeout, sendRetries, receiveTimeout, receiveRetries))
	return ep, d.URL("gateway", "/")
}

// wantLastEndOfStream fails the test unless the last of msgs is an
// EndOfStream.
func wantLastEndOfStream(t *testing.T, msgs []testharness.SavantMessage) {
	t.Helper()
	if last := msgs[len(msgs)-1]; last.Content != "end_of_stream" {
		t.Errorf("last message is %s, want end_of_stream", last.Content)
	}
}

// silentReader connects a ZeroMQ socket of type typ (REP, ROUTER) to ep
// that takes messages and never answers; the caller closes it.
func silentReader(t *testing.T, typ zmq.Type, ep string) *zmq.Socket {
	t.Helper()
	s, err := zmq.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SetLinger(0)
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return s
}

// primePub posts mb until the SUB reader has one message (a PUB drops
// everything until the subscription has reached it) and returns it.
func primePub(t *testing.T, gw string, r *testharness.SavantReader, mb mediaBody, auth reqOpt) testharness.SavantMessage {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		wantStatus(t, "POST to a PUB output", postMedia(t, gw, mb.body, auth), http.StatusOK)
		if got := r.Wait(1, 200*time.Millisecond); len(got) > 0 {
			return got[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SUB reader got nothing within 5 s:\n%s", r.Output())
		}
	}
}

func TestGatewayForwardsToSavantPub(t *testing.T) {
	t.Parallel()
	gw, r := startPubGateway(t, "pub")

	frame := composeMedia(t, videoFrame("cam1", 1, "cam", "hd"), "cam1", annexB(), []byte{0, 1, 2})
	got := primePub(t, gw, r, frame, producer)
	wantForwarded(t, "VideoFrame over PUB", got, frame)
	if got.Content != "video_frame" || got.Message["protocol_version"] != "1.15.1" || got.Message["system_id"] != "e2e-system" {
		t.Errorf("the reader decoded %s %v", got.Content, got.Message)
	}

	// Once subscribed, every message arrives, in order, unchanged.
	n := len(r.Messages())
	var sent []mediaBody
	for i := range 5 {
		mb := composeMedia(t, videoFrame("cam1", uint64(2+i), "cam"), "cam1", annexB())
		wantStatus(t, "VideoFrame", postMedia(t, gw, mb.body, producer), http.StatusOK)
		sent = append(sent, mb)
	}
	eos := composeMedia(t, endOfStream("cam1", 7, "cam"), "cam1")
	wantStatus(t, "EndOfStream", postMedia(t, gw, eos.body, producer), http.StatusOK)
	sent = append(sent, eos)
	msgs := r.Wait(n+len(sent), 3*time.Second)
	if len(msgs) != n+len(sent) {
		t.Fatalf("the reader got %d messages after subscribing, want %d", len(msgs)-n, len(sent))
	}
	for i, mb := range sent {
		wantForwarded(t, fmt.Sprintf("message %d", i), msgs[n+i], mb)
	}
	wantLastEndOfStream(t, msgs)
}

// A REQ output waits for the reader's OK: no reader is a send timeout (504),
// a reader that never answers an acknowledgement timeout (502), and after
// either the writer still works once a real reader is there.
func TestGatewayForwardsToSavantReq(t *testing.T) {
	t.Parallel()
	ep, gw := startRetryingGateway(t, "req", "req", "300ms", 1, "300ms", 1)
	mb := composeMedia(t, videoFrame("cam1", 1, "cam"), "cam1", annexB())

	start := time.Now()
	wantStatus(t, "REQ without a reader", postMedia(t, gw, mb.body, producer), http.StatusGatewayTimeout)
	if el := time.Since(start); el < 500*time.Millisecond || el > 5*time.Second {
		t.Errorf("send timeout answered after %s, want about 2 × 300ms", el)
	}

	// A peer that takes the request and never answers.
	silent := silentReader(t, zmq.REP, ep)
	waitStatus(t, "REQ to a reader that never answers", 5*time.Second, http.StatusBadGateway,
		func() answer { return postMedia(t, gw, mb.body, producer) })
	silent.Close()

	// The REQ socket was recreated (it would refuse the next send): a real
	// reader gets the next message and acknowledges it.
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "rep", Endpoint: ep})
	waitStatus(t, "REQ to the Python REP reader", 5*time.Second, http.StatusOK,
		func() answer { return postMedia(t, gw, mb.body, producer) })
	got := r.Wait(1, 2*time.Second)
	if len(got) == 0 {
		t.Fatal("the REP reader got nothing")
	}
	wantForwarded(t, "VideoFrame over REQ", got[len(got)-1], mb)
	eos := composeMedia(t, endOfStream("cam1", 2), "cam1")
	n := len(r.Messages())
	wantStatus(t, "EndOfStream over REQ", postMedia(t, gw, eos.body, producer), http.StatusOK)
	if got := r.Wait(n+1, 2*time.Second); len(got) != n+1 {
		t.Errorf("the REP reader got %d messages, want %d", len(got), n+1)
	} else {
		wantForwarded(t, "EndOfStream over REQ", got[n], eos)
	}
}

// A DEALER output: a ROUTER reader gets every message; only EndOfStream is
// acknowledged, and the gateway answers 200 once it is.
func TestGatewayForwardsToSavantDealer(t *testing.T) {
	t.Parallel()
	ep, gw := startRetryingGateway(t, "dealer", "dealer", "300ms", 1, "500ms", 1)
	frame := composeMedia(t, videoFrame("cam2", 1), "cam2", annexB())
	eos := composeMedia(t, endOfStream("cam2", 2), "cam2")

	// A ROUTER that never answers: frames go through, an EndOfStream waits
	// for its acknowledgement in vain (502).
	silent := silentReader(t, zmq.ROUTER, ep)
	waitStatus(t, "VideoFrame to a silent ROUTER", 5*time.Second, http.StatusOK,
		func() answer { return postMedia(t, gw, frame.body, producer) })
	start := time.Now()
	wantStatus(t, "EndOfStream to a silent ROUTER", postMedia(t, gw, eos.body, producer), http.StatusBadGateway)
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("ack timeout answered after %s, want about 2 × 500ms", el)
	}
	silent.Close()

	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "router", Endpoint: ep})
	// The ROUTER's connection may take a moment (and the silent one's may
	// linger): retry until the new reader has the frame.
	waitStatus(t, "VideoFrame over DEALER", 5*time.Second, http.StatusOK,
		func() answer { return postMedia(t, gw, frame.body, producer) })
	wantStatus(t, "EndOfStream over DEALER (acknowledged)", postMedia(t, gw, eos.body, producer), http.StatusOK)
	got := r.Wait(2, 2*time.Second)
	if len(got) < 2 {
		t.Fatalf("the ROUTER reader got %d messages, want 2", len(got))
	}
	wantForwarded(t, "VideoFrame over DEALER", got[len(got)-2], frame)
	wantForwarded(t, "EndOfStream over DEALER", got[len(got)-1], eos)
	wantLastEndOfStream(t, got)
}

// A request whose client gives up while its message waits for the socket is
// forwarded intact or not at all: the gateway must not recycle the body
// while the writer may still send it, whatever later requests bring.
func TestGatewayAbandonedRequestIsNotCorrupted(t *testing.T) {
	t.Parallel()
	ep, gw := startRetryingGateway(t, "req", "abandon", "5s", 0, "2s", 0)
	body := func(seq uint64, fill byte) mediaBody {
		return composeMedia(t, videoFrame("cam1", seq), "cam1", bytes.Repeat([]byte{fill}, 700))
	}
	first, abandoned := body(1, 0xa1), body(2, 0xa2)
	later := []mediaBody{body(3, 0xb3), body(4, 0xb4), body(5, 0xb5)}
	patient := newClient(8)
	defer patient.CloseIdleConnections()
	results := make(chan string, 1+len(later))
	postBG := func(mb mediaBody) {
		go func() {
			a, err := tryPost(patient, gw, "application/protobuf", mb.body, producer)
			results <- fmt.Sprintf("%d %v", a.status, err)
		}()
	}
	// No reader yet: the first message holds the writer.
	postBG(first)
	time.Sleep(200 * time.Millisecond)
	// The next waits behind it; its client gives up.
	impatient := newClient(1)
	impatient.Timeout = 300 * time.Millisecond
	if a, err := tryPost(impatient, gw, "application/protobuf", abandoned.body, producer); err == nil {
		t.Fatalf("the impatient request was answered %d; want its client to time out", a.status)
	}
	// Later requests get the gateway's recycled buffers.
	for _, mb := range later {
		postBG(mb)
	}
	time.Sleep(200 * time.Millisecond)
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "rep", Endpoint: ep})
	for range 1 + len(later) {
		select {
		case res := <-results:
			if res != "200 <nil>" {
				t.Errorf("a patient request: %s, want 200", res)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a patient request got no answer within 10 s")
		}
	}
	// A last message, posted once the others were answered: the writer's
	// queue is first in, first out, so once it has arrived the abandoned one
	// has come or never will.
	marker := body(6, 0xc6)
	wantStatus(t, "a last message", postMedia(t, gw, marker.body, producer), http.StatusOK)
	is := func(m testharness.SavantMessage, mb mediaBody) bool {
		return len(m.Frames) == 3 && bytes.Equal(m.Frames[1], mb.message) && bytes.Equal(m.Frames[2], mb.data[0])
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs := r.Messages()
		if len(msgs) > 0 && is(msgs[len(msgs)-1], marker) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last message did not arrive last within 10 s (%d messages)", len(msgs))
		}
	}
	known := append(append([]mediaBody{first, abandoned}, later...), marker)
	seen := map[int]int{}
	for i, m := range r.Messages() {
		match := -1
		for k, mb := range known {
			if is(m, mb) {
				match = k
			}
		}
		if match < 0 {
			t.Errorf("message %d matches nothing that was posted (corrupted): data frame starts %x", i, m.Frames[len(m.Frames)-1][:8])
			continue
		}
		seen[match]++
	}
	for k := range known {
		if k != 1 && seen[k] != 1 {
			t.Errorf("posted message %d arrived %d times, want once (a body recycled while queued?)", k, seen[k])
		}
	}
	if seen[1] > 1 {
		t.Errorf("the abandoned message arrived %d times", seen[1])
	}
	t.Logf("the abandoned message arrived %d times", seen[1])
}

// A REP reader that answers something other than "OK": as savant-rs's
// writer, the gateway takes any answer as the acknowledgement of an ordinary
// message and refuses an EndOfStream that is not answered "OK" (502).
func TestGatewayReqReaderAnsweringOtherThanOK(t *testing.T) {
	t.Parallel()
	ep := testharness.IPCEndpoint(t, "req-no")
	d := startForwardingGateway(t, "  url: req+bind:"+ep+"\n  receiveTimeout: 2s\n")
	gw := d.URL("gateway", "/")
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "rep", Endpoint: ep, Reply: "NOT-OK"})
	mb := composeMedia(t, videoFrame("cam1", 1, "cam"), "cam1", annexB())
	wantStatus(t, "VideoFrame answered NOT-OK", postMedia(t, gw, mb.body, producer), http.StatusOK)
	eos := composeMedia(t, endOfStream("cam1", 2), "cam1")
	wantStatus(t, "EndOfStream answered NOT-OK", postMedia(t, gw, eos.body, producer), http.StatusBadGateway)
	// The REQ socket had its reply: the next message goes through.
	wantStatus(t, "VideoFrame after the refused EndOfStream", postMedia(t, gw, mb.body, producer), http.StatusOK)
	if got := r.Wait(3, 2*time.Second); len(got) != 3 {
		t.Fatalf("the REP reader got %d messages, want 3:\n%s", len(got), r.Output())
	}
}
