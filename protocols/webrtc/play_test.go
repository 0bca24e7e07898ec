package webrtc_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

const allPaths = "paths:\n  all_others:\n"

// A pion player joins mid-stream: the first frame it gets is an IDR with
// SPS and PPS in front, IDRs larger than a packet arrive whole, audio
// flows, and DELETE ends the session (reason "deleted by the client"), the
// hub's reader and the peer connection (closed, not timed out).
func TestPlayH264AndOpus(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "live/cam", h264Media(), opusMedia())
	time.Sleep(50 * time.Millisecond) // join mid-GOP, most likely
	c := newClient(t)
	c.play(t, e, "live/cam", "viewer")
	if req := e.auth.last(); req.Action != authz.ActionRead || req.Path != "live/cam" || req.Protocol != authn.ProtocolWebRTC {
		t.Errorf("authenticated %+v, want read of live/cam over webrtc", req)
	}
	if !strings.HasPrefix(c.location, "/live/cam/whep/") {
		t.Errorf("Location %q", c.location)
	}
	c.waitState(t, pion.PeerConnectionStateConnected)

	wantPlayedFrames(t, c, playedCodec{types: naluTypes, keyframe: []int{7, 8, 5},
		params: [][]byte{testSPS, testPPS}, paramNames: "SPS, PPS", frame: frame(0), unit: "frame"})
	var last uint32
	for i := 0; i < 5; i++ {
		select {
		case p := <-c.audio:
			if i > 0 && p.Timestamp-last != 960 {
				t.Errorf("Opus timestamps %d then %d, want 960 apart", last, p.Timestamp)
			}
			last = p.Timestamp
		case <-time.After(5 * time.Second):
			t.Fatal("no Opus packet")
		}
	}
	e.wantReading(t, "live/cam", 1, "")

	if res := e.request(t, http.MethodDelete, c.location, "", "", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("DELETE without credentials: %d", res.StatusCode)
	}
	if res := e.request(t, http.MethodDelete, c.location, "", "", "viewer"); res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
	e.wantReading(t, "live/cam", 0, " after DELETE")
	if res := e.request(t, http.MethodDelete, c.location, "", "", "viewer"); res.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %d, want 404", res.StatusCode)
	}
	e.wantClosed(t, "deleted by the client")
	c.wantClosed(t)
}

// The publisher leaving closes the peer connection (reason "publisher
// left"); one UDP socket (LocalUDPAddress) carries the session.
func TestPublisherLeavesOverUDPMux(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{LocalUDPAddress: "127.0.0.1:0"})
	p := publish(t, e, "cam", h264Media())
	c := newClient(t)
	c.play(t, e, "cam", "viewer")
	c.waitState(t, pion.PeerConnectionStateConnected)
	if _, err := c.nextFrame(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	e.wantClosed(t, "publisher left")
	c.wantClosed(t)
	testharness.WaitFor(t, "the session to end", 5*time.Second, func() bool { return e.sessions(t) == 0 })
}

// A session ends when its credentials expire (reason "credentials
// expired").
func TestCredentialsExpire(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	e.auth.expiry = 1500 * time.Millisecond
	publish(t, e, "cam", h264Media())
	c := newClient(t)
	c.play(t, e, "cam", "expiring")
	c.waitState(t, pion.PeerConnectionStateConnected)
	e.wantClosed(t, "credentials expired")
	c.wantClosed(t)
	testharness.WaitFor(t, "the reader to leave", 5*time.Second, func() bool { return e.readers("cam") == 0 })
}

// Close ends every session (reason "server closed"); later offers are
// refused.
func TestCloseEndsSessions(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "cam", h264Media())
	c := newClient(t)
	c.play(t, e, "cam", "viewer")
	c.waitState(t, pion.PeerConnectionStateConnected)
	if _, err := c.nextFrame(); err != nil { // the server side is up too
		t.Fatal(err)
	}
	e.srv.Close()
	e.wantClosed(t, "server closed")
	c.wantClosed(t)
	if n := e.readers("cam"); n != 0 {
		t.Errorf("hub readers after Close %d, want 0", n)
	}
	res := e.request(t, http.MethodPost, "/cam/whep", "application/sdp", newClient(t).offer(), "viewer")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("offer after Close: %d, want 503", res.StatusCode)
	}
}
