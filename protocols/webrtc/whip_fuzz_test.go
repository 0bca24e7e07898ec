package webrtc

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pion/webrtc/v4"
)

// FuzzWHIPOffer feeds any text to what a WHIP offer reaches after the
// authentication: offerSends (pion's SDP decoder and the m-line check),
// then, when it passes, a receiving peer connection with the WHIP codecs
// (SetRemoteDescription, CreateAnswer). Nothing panics; offerSends refuses
// with a 400 only.
func FuzzWHIPOffer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
		"c=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
		"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
		"a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, offer string) {
		if err := offerSends(offer); err != nil {
			var se *statusError
			if !errors.As(err, &se) || se.status != http.StatusBadRequest {
				t.Fatalf("offerSends: %v (%T), want a 400 refusal", err, err)
			}
			return
		}
		me := &webrtc.MediaEngine{}
		if err := registerInbound(me); err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}) == nil {
			_, _ = pc.CreateAnswer(nil)
		}
	})
}
