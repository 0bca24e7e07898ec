package webrtc_test

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/stream"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

// whipClient is a pion WHIP publisher sending loopback candidates only.
type whipClient struct {
	pc    *pion.PeerConnection
	plis  chan struct{} // a PLI for the video track arrived
	video *pion.TrackLocalStaticSample
	audio *pion.TrackLocalStaticSample
	stop  chan struct{}
}

func newWHIPClient(t *testing.T, videoMime string, withAudio bool) *whipClient {
	t.Helper()
	pc := testharness.LoopbackPeerConnection(t, pion.Configuration{})
	c := &whipClient{pc: pc, stop: make(chan struct{}), plis: make(chan struct{}, 16)}
	t.Cleanup(func() {
		close(c.stop)
		_ = pc.Close()
	})
	var err error
	c.video, err = pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: videoMime, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, "video", "pub")
	if err != nil {
		t.Fatal(err)
	}
	vt, err := pc.AddTransceiverFromTrack(c.video, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	go testharness.ForwardPLIs(vt.Sender(), c.plis)
	if withAudio {
		c.audio, err = pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "pub")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromTrack(c.audio, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	testharness.GatheredOffer(t, pc)
	return c
}

// publish posts the offer as user, applies the answer and sends frames
// every 20 ms until the test ends; it returns the session URL.
func (c *whipClient) publish(t *testing.T, e *env, path, user string) string {
	t.Helper()
	res := e.request(t, http.MethodPost, "/"+path+"/whip", "application/sdp", c.pc.LocalDescription().SDP, user)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST whip: %d %s", res.StatusCode, body)
	}
	if err := c.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := int64(0); ; n++ {
			select {
			case <-tick.C:
			case <-c.stop:
				return
			}
			_ = c.video.WriteSample(media.Sample{Data: c.videoFrame(n), Duration: 20 * time.Millisecond})
			if c.audio != nil {
				_ = c.audio.WriteSample(media.Sample{Data: []byte{0xfc, 0x01, 0x02, 0x03}, Duration: 20 * time.Millisecond})
			}
		}
	}()
	return res.Header.Get("Location")
}

// videoFrame is an Annex-B H.264 access unit (SPS, PPS and IDR every 10th),
// an Annex-B H.265 one (VPS, SPS, PPS and IDR every 10th) or, for other
// codecs, opaque bytes.
func (c *whipClient) videoFrame(n int64) []byte {
	sc := []byte{0, 0, 0, 1}
	switch c.video.Codec().MimeType {
	case pion.MimeTypeH264:
	case pion.MimeTypeH265:
		var out []byte
		if n%10 == 0 {
			for _, nalu := range [][]byte{{0x40, 0x01, 0x0c}, {0x42, 0x01, 0x01}, {0x44, 0x01, 0xc0}, {0x26, 0x01, 0xaf, byte(n)}} {
				out = append(append(out, sc...), nalu...)
			}
			return out
		}
		return append(sc, 0x02, 0x01, 0xd0, byte(n))
	case pion.MimeTypeAV1:
		if n%10 == 0 { // a temporal delimiter, a sequence header and a frame OBU
			return []byte{0x12, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x32, 0x02, 0x10, byte(n)}
		}
		return []byte{0x12, 0x00, 0x32, 0x02, 0x10, byte(n)} // a temporal delimiter and a frame OBU
	default:
		return []byte{0x10, 0x02, 0x00, byte(n), 0x9d, 0x01, 0x2a}
	}
	var out []byte
	if n%10 == 0 {
		out = append(append(append(out, sc...), testSPS...), sc...)
		out = append(out, testPPS...)
	}
	return append(append(out, sc...), frame(n)...)
}

// publication waits for path to be published and returns it.
func (e *env) publication(t *testing.T, path string) *stream.Publication {
	t.Helper()
	var p *stream.Publication
	testharness.WaitFor(t, path+" published", 10*time.Second, func() bool {
		var err error
		p, err = e.hub.Get(path)
		return err == nil
	})
	return p
}

// A pion WHIP client publishes H.264 and Opus: the hub has the path with
// both tracks (source webrtc), a WHEP reader of the same server gets
// keyframes with SPS and PPS, and DELETE on the session URL ends the
// publication.
func TestWHIPPublishH264(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	pub := newWHIPClient(t, pion.MimeTypeH264, true)
	loc := pub.publish(t, e, "live/in", "viewer")
	if !strings.HasPrefix(loc, "/live/in/whip/") {
		t.Fatalf("Location %q", loc)
	}
	p := e.publication(t, "live/in")
	var tracks []string
	for _, m := range p.Desc.Medias {
		tracks = append(tracks, m.Formats[0].Codec())
	}
	slices.Sort(tracks)
	if !slices.Equal(tracks, []string{"H264", "Opus"}) || p.Source.Protocol != "webrtc" || p.Source.User != "viewer" {
		t.Fatalf("publication: tracks %v, source %+v", tracks, p.Source)
	}

	rd := newClient(t)
	rd.play(t, e, "live/in", "viewer")
	rd.waitState(t, pion.PeerConnectionStateConnected)
	for {
		au, err := rd.nextFrame()
		if err != nil {
			t.Fatal("no keyframe through WHIP → hub → WHEP within 5 s")
		}
		if types := naluTypes(au); slices.Contains(types, 5) {
			if !slices.Equal(types[:2], []int{7, 8}) {
				t.Errorf("keyframe NAL types %v, want SPS and PPS first", types)
			}
			break
		}
	}

	// Keyframe requests: one at once, then every 2 s.
	for i := range 2 {
		select {
		case <-pub.plis:
		case <-time.After(5 * time.Second):
			t.Fatalf("PLI %d did not reach the publisher within 5 s", i+1)
		}
	}

	if res := e.request(t, http.MethodDelete, loc, "", "", "viewer"); res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the publication did not end after DELETE")
	}
}

// VP8 and AV1 are depacketized into frames (AV1: temporal units) and a
// WHEP reader of the path gets a track of the same codec with their
// packets, from a keyframe on. (VP9 needs real frames for pion's
// payloader: e2e TestWHIPCodecsIndependentDecoder.)
func TestWHIPPublishFrameCodecs(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	for _, c := range []struct{ mime, codec string }{
		{pion.MimeTypeVP8, "VP8"}, {pion.MimeTypeAV1, "AV1"},
	} {
		path := strings.ToLower(c.codec)
		newWHIPClient(t, c.mime, false).publish(t, e, path, "viewer")
		p := e.publication(t, path)
		if got := p.Desc.Medias[0].Formats[0].Codec(); got != c.codec {
			t.Fatalf("track %s, want %s", got, c.codec)
		}
		got := units(p)
		select {
		case u := <-got:
			if len(u.AU) == 0 {
				t.Errorf("%s unit without a frame (RTP %v)", c.codec, u.RTP != nil)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s unit within 5 s", c.codec)
		}

		rd := newClient(t)
		rd.play(t, e, path, "viewer")
		rd.waitState(t, pion.PeerConnectionStateConnected)
		pkt, err := rd.nextFrame()
		if err != nil {
			t.Fatalf("%s: no packet over WHEP: %v", c.codec, err)
		}
		if string(pkt[0]) != c.mime || len(pkt[1]) == 0 {
			t.Errorf("WHEP reader of %s got a %s track", c.codec, pkt[0])
		}
	}
}

// A reader joining a WHIP publication has the publisher asked for a
// keyframe (RTCP PLI) at once, not at the next periodic request.
func TestWHIPKeyframeOnReaderJoin(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{KeyframeInterval: time.Hour})
	pub := newWHIPClient(t, pion.MimeTypeH264, false)
	pub.publish(t, e, "cam", "viewer")
	p := e.publication(t, "cam")
	select { // the request of the publication's start
	case <-pub.plis:
	case <-time.After(5 * time.Second):
		t.Fatal("no PLI when the publication started")
	}
	// Past the rate limit, and no more PLI pending.
	time.Sleep(2 * stream.KeyframeRequestGap)
	for len(pub.plis) > 0 {
		<-pub.plis
	}
	reader := new(int)
	if err := p.AddReader(reader); err != nil {
		t.Fatal(err)
	}
	defer p.RemoveReader(reader)
	select {
	case <-pub.plis:
	case <-time.After(5 * time.Second):
		t.Fatal("no PLI after a reader joined (the periodic request is an hour away)")
	}
}

// A WHEP reader's own keyframe request (RTCP PLI, as a browser sends after
// a loss) reaches the WHIP publisher.
func TestWHIPKeyframeOnReaderPLI(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{KeyframeInterval: time.Hour})
	pub := newWHIPClient(t, pion.MimeTypeVP8, false)
	pub.publish(t, e, "cam", "viewer")
	e.publication(t, "cam")
	rd := newClient(t)
	rd.play(t, e, "cam", "viewer")
	rd.waitState(t, pion.PeerConnectionStateConnected)
	if _, err := rd.nextFrame(); err != nil {
		t.Fatalf("no packet over WHEP: %v", err)
	}
	// The join's requests are sent: past the rate limit, nothing pending.
	time.Sleep(2 * stream.KeyframeRequestGap)
	for len(pub.plis) > 0 {
		<-pub.plis
	}
	var ssrc uint32
	for _, r := range rd.pc.GetReceivers() {
		if tr := r.Track(); tr != nil && tr.Kind() == pion.RTPCodecTypeVideo {
			ssrc = uint32(tr.SSRC())
		}
	}
	if err := rd.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pub.plis:
	case <-time.After(5 * time.Second):
		t.Fatal("the WHEP reader's PLI did not reach the WHIP publisher")
	}
}

// A second WHIP publisher takes over a path with overridePublisher (the
// first session ends); without it the second is refused with 409.
func TestWHIPOverride(t *testing.T) {
	e := newEnv(t, "paths:\n  locked:\n  all_others: {overridePublisher: yes}\n", webrtc.Config{})
	newWHIPClient(t, pion.MimeTypeH264, false).publish(t, e, "cam", "viewer")
	first := e.publication(t, "cam")
	newWHIPClient(t, pion.MimeTypeH264, false).publish(t, e, "cam", "viewer")
	select {
	case <-first.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first publication did not end")
	}
	testharness.WaitFor(t, "the second publication", 5*time.Second, func() bool { p, err := e.hub.Get("cam"); return err == nil && p != first })

	newWHIPClient(t, pion.MimeTypeH264, false).publish(t, e, "locked", "viewer")
	e.publication(t, "locked")
	c := newWHIPClient(t, pion.MimeTypeH264, false)
	res := e.request(t, http.MethodPost, "/locked/whip", "application/sdp", c.pc.LocalDescription().SDP, "viewer")
	if res.StatusCode != http.StatusConflict {
		t.Errorf("second publisher of a locked path: %d, want 409", res.StatusCode)
	}
}

// The ICE servers reach authenticated clients only: an OPTIONS with
// credentials and the 201 answers carry them in Link headers, TURN shared
// secrets as time-limited REST credentials (never the secret); a CORS
// preflight, wrong credentials and the server's own configuration do not
// get the client-only ones.
func TestICEServersLinks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e := newEnv(t, allPaths, webrtc.Config{Now: func() time.Time { return now }, ICEServers: []webrtc.ICEServer{
		{URL: "stun:127.0.0.1:3478"},
		{URL: "turn:127.0.0.1:3478", Username: webrtc.TURNSecretUser, Password: "sharedsecret"},
		{URL: "turn:127.0.0.1:3479", Username: "static", Password: `pa"ss`, ClientOnly: true},
	}})
	publish(t, e, "cam", h264Media())
	req, _ := http.NewRequest(http.MethodOptions, e.url+"/cam/whep", nil)
	req.SetBasicAuth("viewer", "secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	links := res.Header.Values("Link")
	if res.StatusCode != http.StatusNoContent || len(links) != 3 {
		t.Fatalf("authenticated OPTIONS: %d, links %q", res.StatusCode, links)
	}
	if links[0] != `<stun:127.0.0.1:3478>; rel="ice-server"` {
		t.Errorf("STUN link %q", links[0])
	}
	if links[2] != `<turn:127.0.0.1:3479>; rel="ice-server"; username="static"; credential="pa\"ss"; credential-type="password"` {
		t.Errorf("static TURN link %q", links[2])
	}
	user, cred := linkCredentials(t, links[1])
	expiry, _, _ := strings.Cut(user, ":")
	if expiry != strconv.FormatInt(now.Add(webrtc.TURNCredentialTTL).Unix(), 10) {
		t.Errorf("TURN username %q: want the expiry now+%v first", user, webrtc.TURNCredentialTTL)
	}
	h := hmac.New(sha1.New, []byte("sharedsecret"))
	h.Write([]byte(user))
	if cred != base64.StdEncoding.EncodeToString(h.Sum(nil)) {
		t.Errorf("TURN credential %q is not HMAC-SHA1(secret, username)", cred)
	}
	if strings.Contains(strings.Join(links, " "), "sharedsecret") {
		t.Error("the shared secret was handed out")
	}

	pre := e.request(t, http.MethodOptions, "/cam/whep", "", "", "")
	if pre.StatusCode != http.StatusNoContent || len(pre.Header.Values("Link")) != 0 {
		t.Errorf("OPTIONS without credentials: %d, links %q", pre.StatusCode, pre.Header.Values("Link"))
	}
	req, _ = http.NewRequest(http.MethodOptions, e.url+"/cam/whip", nil)
	req.SetBasicAuth("viewer", "wrong")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || len(res.Header.Values("Link")) != 0 {
		t.Errorf("OPTIONS with a wrong password: %d, links %q", res.StatusCode, res.Header.Values("Link"))
	}

	c := newClient(t)
	ans := e.request(t, http.MethodPost, "/cam/whep", "application/sdp", c.offer(), "viewer")
	if ans.StatusCode != http.StatusCreated || len(ans.Header.Values("Link")) != 3 {
		t.Errorf("WHEP 201: %d, links %q", ans.StatusCode, ans.Header.Values("Link"))
	}
	page := e.request(t, http.MethodGet, "/cam/", "", "", "viewer")
	body, _ := io.ReadAll(page.Body)
	if !strings.Contains(string(body), `"urls":["turn:127.0.0.1:3479"],"username":"static"`) || strings.Contains(string(body), "ICE_SERVERS") {
		t.Errorf("the player page does not carry the ICE servers")
	}
}

// linkCredentials parses username and credential out of a Link value.
func linkCredentials(t *testing.T, link string) (user, cred string) {
	t.Helper()
	for part := range strings.SplitSeq(link, "; ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		switch k {
		case "username":
			user = v
		case "credential":
			cred = v
		}
	}
	if user == "" || cred == "" {
		t.Fatalf("no credentials in %q", link)
	}
	return user, cred
}

// H.265 (as pion negotiates it) is depacketized into access units: a
// keyframe arrives with its VPS, SPS and PPS.
func TestWHIPPublishH265(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	newWHIPClient(t, pion.MimeTypeH265, false).publish(t, e, "hevc", "viewer")
	p := e.publication(t, "hevc")
	if c := p.Desc.Medias[0].Formats[0].Codec(); c != "H265" {
		t.Fatalf("track %s, want H265", c)
	}
	got := units(p)
	for deadline := time.After(5 * time.Second); ; {
		select {
		case u := <-got:
			if len(u.AU) == 4 && u.AU[0][0]>>1&0x3f == 32 {
				return // VPS, SPS, PPS, IDR
			}
		case <-deadline:
			t.Fatal("no H.265 keyframe access unit within 5 s")
		}
	}
}

// units is a channel of p's units from now on (a unit arriving while 64
// wait unread is dropped).
func units(p *stream.Publication) <-chan *stream.Unit {
	got := make(chan *stream.Unit, 64)
	p.AddSink("test", 64, func(u *stream.Unit) {
		select {
		case got <- u:
		default:
		}
	}, nil)
	return got
}
