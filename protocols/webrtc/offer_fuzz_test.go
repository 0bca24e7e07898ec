package webrtc

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzWHEPOffer feeds any text to offerAccepts, the WHEP offer parser
// (pion's SDP decoder, then the m-line checks): it never panics; a
// refusal is a 400; an accepted video track means the offer names H264
// with packetization-mode=1, an accepted audio track that it names
// opus/48000. Seeds (testdata/fuzz/FuzzWHEPOffer) are Chromium's offer
// recorded for the network fuzzer (e2e/testdata/netfuzz) and variants.
func FuzzWHEPOffer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		video, audio, err := offerAccepts(offer, "H264")
		if err != nil {
			var se *statusError
			if !errors.As(err, &se) || se.status != http.StatusBadRequest {
				t.Fatalf("offerAccepts: %v (%T), want a 400 refusal", err, err)
			}
			if video || audio {
				t.Fatalf("refused (%v) with tracks %v %v", err, video, audio)
			}
			return
		}
		lower := strings.ToLower(offer)
		if video && (!strings.Contains(lower, "h264/90000") || !strings.Contains(offer, "packetization-mode=1")) {
			t.Fatalf("video accepted from an offer without H264 packetization-mode=1:\n%q", offer)
		}
		if audio && !strings.Contains(lower, "opus/48000") {
			t.Fatalf("audio accepted from an offer without opus/48000:\n%q", offer)
		}
	})
}
