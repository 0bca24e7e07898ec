package source

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
	sgwebrtc "github.com/streamgate/streamgate/protocols/webrtc"
)

// A whep(s):// source's peer connection uses the configured ICE servers
// (webrtcICEServers2): not the client-only ones, and TURN shared secrets
// as fresh time-limited credentials, never the secret.
func TestWHEPSourceICEServers(t *testing.T) {
	w := WebRTCOptions{ICEServers: []sgwebrtc.ICEServer{
		{URL: "stun:127.0.0.1:3478"},
		{URL: "turn:127.0.0.1:3478", Username: sgwebrtc.TURNSecretUser, Password: "shared"},
		{URL: "turn:127.0.0.1:3479", Username: "u", Password: "p"},
		{URL: "turn:127.0.0.1:3480", Username: "client", Password: "only", ClientOnly: true},
	}}.withDefaults()
	pc, err := newWHEPPeer(w)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := pc.GetConfiguration().ICEServers
	if len(got) != 3 {
		t.Fatalf("ICE servers %+v, want the 3 that are not client-only", got)
	}
	if got[0].URLs[0] != "stun:127.0.0.1:3478" || got[2].Username != "u" || got[2].Credential != "p" {
		t.Errorf("ICE servers %+v", got)
	}
	if cred, _ := got[1].Credential.(string); got[1].Username == sgwebrtc.TURNSecretUser || cred == "shared" || cred == "" ||
		!strings.Contains(got[1].Username, ":") {
		t.Errorf("TURN shared secret handed to pion as %q/%q, want time-limited credentials", got[1].Username, cred)
	}
}

// A WHEP server that answers but whose ICE never connects fails the source
// after webrtcHandshakeTimeout (the runner retries it), not after pion's
// own ICE timeouts.
func TestWHEPSourceHandshakeTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		var se webrtc.SettingEngine
		se.SetIPFilter(func(net.IP) bool { return false }) // no candidate: ICE never connects
		me := &webrtc.MediaEngine{}
		_ = me.RegisterDefaultCodecs()
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		t.Cleanup(func() { _ = pc.Close() })
		if err := testharness.GatheredAnswer(pc, string(offer)); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, pc.LocalDescription().SDP)
	}))
	defer srv.Close()
	r, _, _ := testRunner(t, "whep"+strings.TrimPrefix(srv.URL, "http")+"/cam/whep", runWHEP)
	r.opts.WebRTC.HandshakeTimeout = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s := &session{r: r, ctx: ctx}
	err := runWHEP(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "handshake timed out") {
		t.Fatalf("runWHEP: %v, want the handshake timeout", err)
	}
}

// whepServer is a pion WHEP server sending a VP8 track (opaque frames,
// each a keyframe) on loopback; plis receives the PLIs of its reader.
func whepServer(t *testing.T) (url string, plis chan struct{}) {
	plis = make(chan struct{}, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		pc, err := testharness.NewLoopbackPeerConnection(webrtc.Configuration{})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop); _ = pc.Close() })
		track, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "srv")
		sender, err := pc.AddTrack(track)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		go testharness.ForwardPLIs(sender, plis)
		if err := testharness.GatheredAnswer(pc, string(offer)); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		go testharness.SendSamples(track, 40*time.Millisecond, stop, func(n int) []byte {
			return []byte{0x10, 0x02, 0x00, byte(n), 0x9d, 0x01, 0x2a}
		})
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, pc.LocalDescription().SDP)
	}))
	t.Cleanup(srv.Close)
	return "whep" + strings.TrimPrefix(srv.URL, "http") + "/cam/whep", plis
}

// A VP8 track of a WHEP server is published (frames), and a reader
// joining the pulled path has the WHEP server asked for a keyframe (PLI).
func TestWHEPSourceVP8AndKeyframeOnJoin(t *testing.T) {
	url, plis := whepServer(t)
	r, _, _ := testRunner(t, url, runWHEP)
	r.Start()
	defer r.Stop()
	testharness.WaitFor(t, "the WHEP source to publish", 15*time.Second, func() bool { return r.State() == StateReady })
	p, err := r.hub.Get("cam")
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Desc.Medias[0].Formats[0].Codec(); c != "VP8" {
		t.Fatalf("track %s, want VP8", c)
	}
	for len(plis) > 0 {
		<-plis
	}
	reader := new(int)
	if err := p.AddReader(reader); err != nil {
		t.Fatal(err)
	}
	defer p.RemoveReader(reader)
	select {
	case <-plis:
	case <-time.After(5 * time.Second):
		t.Fatal("no PLI reached the WHEP server after a reader joined")
	}
}
