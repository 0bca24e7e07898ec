package webrtc_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

var candidateRE = regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host`)

// post sends an offer and returns the answer.
func post(t *testing.T, e *env, path, offer string) (*http.Response, string) {
	t.Helper()
	res := e.request(t, http.MethodPost, "/"+path+"/whep", "application/sdp", offer, "viewer")
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// The answer sends (sendonly) H.264 with packetization-mode=1 and carries
// its candidates: loopback only without IPsFromInterfaces, and the
// additional hosts on the same port. Nothing is sent to 203.0.113.7: the
// client never applies the answer.
func TestAnswer(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{LocalUDPAddress: "127.0.0.1:0", AdditionalHosts: []string{"203.0.113.7"}})
	publish(t, e, "cam", h264Media())
	res, answer := post(t, e, "cam", newClient(t).offer())
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", res.StatusCode, answer)
	}
	if !strings.Contains(answer, "a=sendonly") || !strings.Contains(answer, "packetization-mode=1") {
		t.Errorf("answer without sendonly H264 packetization-mode=1:\n%s", answer)
	}
	cands := candidateRE.FindAllStringSubmatch(answer, -1)
	hosts := map[string]bool{}
	for _, c := range cands {
		hosts[c[1]] = true
		if c[2] != cands[0][2] {
			t.Errorf("candidates on ports %s and %s: the UDP mux is not used", cands[0][2], c[2])
		}
	}
	if len(hosts) != 2 || !hosts["127.0.0.1"] || !hosts["203.0.113.7"] {
		t.Errorf("candidate hosts %v, want 127.0.0.1 and 203.0.113.7:\n%s", hosts, answer)
	}
	if res.Header.Get("Content-Type") != "application/sdp" || res.Header.Get("ETag") == "" {
		t.Errorf("headers %v", res.Header)
	}
}

// An offer that takes no track of the stream is refused with 406 and
// leaves no reader behind.
func TestOfferWithoutUsableTrack(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "cam", h264Media())
	pc, err := pion.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	testharness.Receive(t, pc, pion.RTPCodecTypeAudio)
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, body := post(t, e, "cam", offer.SDP)
	if res.StatusCode != http.StatusNotAcceptable || !strings.Contains(body, "H264") {
		t.Fatalf("audio-only offer for a video stream: %d %q, want 406", res.StatusCode, body)
	}
	if n := e.readers("cam"); n != 0 {
		t.Errorf("%d readers left", n)
	}
}

// Trickle ICE: candidates are accepted (204); an ICE restart is refused
// (422); a stale ETag is refused (412).
func TestTrickle(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "cam", h264Media())
	c := newClient(t)
	offer := c.offer()
	res, _ := post(t, e, "cam", offer)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d", res.StatusCode)
	}
	loc, etag := res.Header.Get("Location"), res.Header.Get("ETag")
	ufrag := regexp.MustCompile(`a=ice-ufrag:(\S+)`).FindStringSubmatch(offer)[1]
	pwd := regexp.MustCompile(`a=ice-pwd:(\S+)`).FindStringSubmatch(offer)[1]
	frag := func(ufrag string) string {
		return "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
			"a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n"
	}
	const ct = "application/trickle-ice-sdpfrag"
	patch := func(body, contentType, ifMatch string) int {
		req, _ := http.NewRequest(http.MethodPatch, e.url+loc, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		req.SetBasicAuth("viewer", "secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		name, body, contentType, ifMatch string
		want                             int
	}{
		{"candidates", frag(ufrag), ct, etag, 204},
		{"candidates, If-Match *", frag(ufrag), ct, "*", 204},
		{"candidates without If-Match", frag(ufrag), ct, "", 204},
		{"ICE restart", frag("otherufrag"), ct, "*", 422},
		{"stale ETag", frag(ufrag), ct, `"stale"`, 412},
		{"wrong content type", frag(ufrag), "application/sdp", etag, 415},
		{"not SDP", "hello", ct, etag, 400},
	} {
		if got := patch(tc.body, tc.contentType, tc.ifMatch); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// An offer whose video has no H264 (a VP8-only player) is refused with 406.
func TestOfferWithoutH264(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "cam", h264Media())
	offer := videoOffer(t, pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000})
	if res, body := post(t, e, "cam", offer.SDP); res.StatusCode != http.StatusNotAcceptable {
		t.Fatalf("VP8-only offer: %d %q, want 406", res.StatusCode, body)
	}
}

// videoOffer is the offer of a receive-only video peer that supports only
// codecs (payload types from 96).
func videoOffer(t *testing.T, codecs ...pion.RTPCodecCapability) pion.SessionDescription {
	t.Helper()
	me := &pion.MediaEngine{}
	for i, c := range codecs {
		if err := me.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: c, PayloadType: pion.PayloadType(96 + i)}, pion.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := pion.NewAPI(pion.WithMediaEngine(me)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo)
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

// A stream without audio answered to an offer with audio: the rejected
// m=audio section still carries its a=mid and the ICE credentials (RFC
// 8829 §5.3.1, RFC 8843 §7.3.3) — aiortc and strict JSEP readers refuse
// an answer without them; browsers tolerate it.
func TestAnswerRejectedSectionComplete(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{LocalUDPAddress: "127.0.0.1:0"})
	publish(t, e, "cam", h264Media())
	res, answer := post(t, e, "cam", newClient(t).offer())
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", res.StatusCode, answer)
	}
	sections := strings.Split(answer, "\r\nm=")
	if len(sections) != 3 {
		t.Fatalf("want a session part and two m-sections:\n%s", answer)
	}
	for _, sec := range sections[1:] {
		kind, _, _ := strings.Cut(sec, " ")
		for _, attr := range []string{"a=mid:", "a=ice-ufrag:", "a=ice-pwd:"} {
			if !strings.Contains(sec, "\r\n"+attr) && !strings.Contains(sections[0], "\r\n"+attr) {
				t.Errorf("m=%s section without %s:\nm=%s", kind, attr, sec)
			}
		}
	}
}
