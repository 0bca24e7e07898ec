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
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		answer, err := pc.CreateAnswer(nil)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		gathered := webrtc.GatheringCompletePromise(pc)
		_ = pc.SetLocalDescription(answer)
		<-gathered
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
