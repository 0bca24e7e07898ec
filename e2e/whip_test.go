package e2e_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

// webrtcURL is http://ADDR/path on d's WebRTC listener.
func webrtcURL(d *testharness.Daemon, path string) string {
	return "http://" + d.Addr("webrtc") + "/" + path
}

// webrtcRequest sends method to url with Basic credentials (none when user
// is "") and returns the status, the headers and the body.
func webrtcRequest(t testing.TB, method, url, contentType, body, user, pass string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// webrtcOffer posts pc's gathered offer to url (a proto endpoint: WHIP or
// WHEP) with Basic credentials, fails the test unless it is answered 201
// Created, and sets the answer as pc's remote description.
func webrtcOffer(t testing.TB, pc *pion.PeerConnection, proto, url, user, pass string) {
	t.Helper()
	status, _, answer := webrtcRequest(t, http.MethodPost, url, "application/sdp", pc.LocalDescription().SDP, user, pass)
	if status != http.StatusCreated {
		t.Fatalf("%s POST: %d %s", proto, status, answer)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
}

// WHIP is authenticated for publishing before the offer is looked at: a
// garbage offer with wrong credentials is a 401 with the challenge (not a
// 400), a read-only user gets 403, and only the publisher gets as far as
// the SDP (400 for garbage). The publish page is refused the same way.
func TestWHIPAuthBeforeSDP(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\nwebrtcIPsFromInterfaces: no\n"})
	whip := webrtcURL(d, "cam/whip")
	for _, c := range []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", rtspPubUser, "wrong", http.StatusUnauthorized},
		{"unknown user", "nobody", "x", http.StatusUnauthorized},
		{"read-only user", rtspReadUser, rtspReadPass, http.StatusForbidden},
		{"publisher, garbage offer", rtspPubUser, rtspPubPass, http.StatusBadRequest},
	} {
		status, h, body := webrtcRequest(t, http.MethodPost, whip, "application/sdp", "garbage, not SDP", c.user, c.pass)
		if status != c.want {
			t.Errorf("%s: %d %q, want %d", c.name, status, body, c.want)
		}
		if c.want == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, h.Get("WWW-Authenticate"))
		}
	}
	if status, _, _ := webrtcRequest(t, http.MethodGet, webrtcURL(d, "cam/publish"), "", "", rtspReadUser, rtspReadPass); status != http.StatusForbidden {
		t.Errorf("publish page as the read-only user: %d, want 403", status)
	}
	if status, _, body := webrtcRequest(t, http.MethodGet, webrtcURL(d, "cam/publish"), "", "", rtspPubUser, rtspPubPass); status != http.StatusOK || !strings.Contains(body, "getUserMedia") {
		t.Errorf("publish page as the publisher: %d", status)
	}
}

// Headless Chromium with a fake camera and microphone publishes through the
// publish page (/cam/publish, the publisher's Basic credentials); the
// stream is read back by ffmpeg over RTSP (decoded video frames), by a
// second Chromium over WHEP (the player page plays), and reaches the
// Savant output as VideoFrames.
func TestWHIPBrowserPublish(t *testing.T) {
	t.Parallel()
	testharness.RequireChromium(t)
	rtspRequireFFmpeg(t)
	ep := testharness.IPCEndpoint(t, "whip")
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\nwebrtcIPsFromInterfaces: no\nsavant:\n  url: pub+bind:" + ep + "\n",
		paths: "  cam: {}\n  warmup: {}\n"})
	sr := rtspSavantSubscriber(t, d, ep)

	published := make(chan testharness.PlayResult, 1)
	go func() {
		published <- testharness.Play(t, testharness.PlayOptions{URL: webrtcURL(d, "cam/publish"), User: rtspPubUser, Pass: rtspPubPass,
			Publish: true, Hold: 30 * time.Second, Timeout: 40 * time.Second, Screenshot: "whip-publishing.png"})
	}()
	var p rtspAPIPath
	deadline := time.Now().Add(90 * time.Second)
	for {
		ps := rtspPaths(t, d)
		found := false
		for _, x := range ps {
			if x.Name == "cam" && x.BytesReceived > 0 {
				p, found = x, true
			}
		}
		if found {
			break
		}
		select {
		case r := <-published:
			t.Fatalf("the publish page ended before the path was published: %s\nconsole: %v", r.Error, r.Console)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("cam was not published within 90 s")
		}
	}
	t.Logf("published over WHIP: tracks %v, source %+v", p.Tracks, p.Source)

	decoded, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	if decoded < 10 {
		t.Fatalf("ffmpeg decoded %d video frames over RTSP (exit %d):\n%s", decoded, code, tailLines(out, 20))
	}
	t.Logf("ffmpeg decoded %d frames of the WHIP stream over RTSP", decoded)

	if strings.Contains(strings.Join(p.Tracks, ","), "H264") {
		frames := 0
		for deadline := time.Now().Add(15 * time.Second); frames == 0 && time.Now().Before(deadline); {
			for _, m := range sr.Messages() {
				if len(m.Frames) > 0 && string(m.Frames[0]) == "cam" && m.Content == "video_frame" {
					frames++
				}
			}
			if frames == 0 {
				sr.Wait(len(sr.Messages())+1, time.Second)
			}
		}
		if frames == 0 {
			t.Error("no Savant VideoFrame of cam within 15 s")
		}

		r := testharness.Play(t, testharness.PlayOptions{URL: webrtcURL(d, "cam/"), User: rtspReadUser, Pass: rtspReadPass, Want: 1,
			Timeout: 30 * time.Second, Screenshot: "whip-read-over-whep.png"})
		if !r.Played {
			t.Errorf("Chromium did not play the WHIP stream over WHEP: %s\nconsole: %v", r.Error, r.Console)
		}
	} else {
		t.Errorf("Chromium published %v, not H.264: the Savant and WHEP reads were not checked", p.Tracks)
	}
	if r := <-published; !r.Played {
		t.Errorf("the publish page: %s", r.Error)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// relayClient is a pion WHEP reader restricted to TURN relay candidates.
func relayClient(t *testing.T, servers []pion.ICEServer) (*pion.PeerConnection, <-chan struct{}) {
	t.Helper()
	pc := testharness.LoopbackPeerConnection(t, pion.Configuration{
		ICEServers: servers, ICETransportPolicy: pion.ICETransportPolicyRelay})
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo, pion.RTPCodecTypeAudio)
	got := testharness.VideoArrives(pc)
	testharness.GatheredOfferWithin(t, pc, 20*time.Second)
	return pc, got
}

// linkServers parses the ice-server Link headers the daemon handed out.
func linkServers(t *testing.T, links []string) []pion.ICEServer {
	t.Helper()
	var out []pion.ICEServer
	for _, l := range links {
		url, rest, ok := strings.Cut(strings.TrimPrefix(l, "<"), `>; rel="ice-server"`)
		if !ok {
			t.Fatalf("Link %q", l)
		}
		s := pion.ICEServer{URLs: []string{url}}
		for part := range strings.SplitSeq(rest, "; ") {
			k, v, _ := strings.Cut(part, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "username":
				s.Username = v
			case "credential":
				s.Credential, s.CredentialType = v, pion.ICECredentialTypePassword
			}
		}
		out = append(out, s)
	}
	return out
}

// A pion reader restricted to relay candidates (ICETransportPolicyRelay)
// reads over WHEP through a Debian coturn on loopback, with the
// time-limited TURN credentials the daemon hands to an authenticated
// client (the OPTIONS's Link headers; never the shared secret). A
// credential past its expiry (made with the same scheme, expiry a minute
// ago) is refused by coturn: no relay candidate.
func TestWHEPThroughTURN(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	const secret = "turn-shared-secret-e2e"
	turn := testharness.StartTURN(t, secret)
	d := startRTSPDaemon(t, rtspSetup{top: fmt.Sprintf("webrtc: yes\nwebrtcIPsFromInterfaces: no\nwebrtcICEServers2:\n"+
		"- url: turn:%s\n  username: AUTH_SECRET\n  password: %s\n  clientOnly: yes\n", turn.Addr, secret)})
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 60, "tcp")
	t.Cleanup(func() { pub.kill() })
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })

	status, h, _ := webrtcRequest(t, http.MethodOptions, webrtcURL(d, "cam/whep"), "", "", rtspReadUser, rtspReadPass)
	links := h.Values("Link")
	if status != http.StatusNoContent || len(links) != 1 {
		t.Fatalf("authenticated OPTIONS: %d, Link %q", status, links)
	}
	if strings.Contains(links[0], secret) {
		t.Fatal("the TURN shared secret was handed out")
	}
	servers := linkServers(t, links)
	expiry, _, _ := strings.Cut(servers[0].Username, ":")
	exp, _ := strconv.ParseInt(expiry, 10, 64)
	if left := time.Until(time.Unix(exp, 0)); left < webrtc.TURNCredentialTTL-time.Hour || left > webrtc.TURNCredentialTTL+time.Minute {
		t.Errorf("TURN username %q expires in %v, want about %v", servers[0].Username, left, webrtc.TURNCredentialTTL)
	}
	if s, h, _ := webrtcRequest(t, http.MethodOptions, webrtcURL(d, "cam/whep"), "", "", rtspReadUser, "wrong"); s != http.StatusUnauthorized || len(h.Values("Link")) != 0 {
		t.Errorf("OPTIONS with a wrong password: %d, Link %q", s, h.Values("Link"))
	}

	pc, video := relayClient(t, servers)
	if !strings.Contains(pc.LocalDescription().SDP, "typ relay") {
		t.Fatalf("no relay candidate with the daemon's credentials:\n%s\ncoturn:\n%s", pc.LocalDescription().SDP, turn.Logs())
	}
	webrtcOffer(t, pc, "WHEP", webrtcURL(d, "cam/whep"), rtspReadUser, rtspReadPass)
	select {
	case <-video:
	case <-time.After(20 * time.Second):
		t.Fatalf("no video through the TURN relay within 20 s (state %v)\ncoturn:\n%s", pc.ConnectionState(), turn.Logs())
	}
	pair, err := pc.GetTransceivers()[0].Receiver().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Typ != pion.ICECandidateTypeRelay {
		t.Errorf("selected pair %v (%v), want a relay local candidate", pair, err)
	}

	// The same scheme, expiry the only difference: a minute ahead works,
	// a minute ago does not.
	gathersRelay := func(expires time.Time) bool {
		user, pass := webrtc.TURNCredentials(secret, expires)
		pc, _ := relayClient(t, []pion.ICEServer{{URLs: servers[0].URLs, Username: user, Credential: pass,
			CredentialType: pion.ICECredentialTypePassword}})
		return strings.Contains(pc.LocalDescription().SDP, "typ relay")
	}
	if !gathersRelay(time.Now().Add(time.Minute)) {
		t.Error("coturn refused a TURN credential valid for another minute")
	}
	if gathersRelay(time.Now().Add(-time.Minute)) {
		t.Error("coturn accepted a TURN credential past its expiry")
	}
}

// ivfSplit returns the frames of an IVF file.
func ivfSplit(t *testing.T, b []byte) [][]byte {
	t.Helper()
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatal("not an IVF file")
	}
	var frames [][]byte
	for off := int(binary.LittleEndian.Uint16(b[6:8])); off+12 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if off+12+n > len(b) {
			break
		}
		frames = append(frames, b[off+12:off+12+n])
		off += 12 + n
	}
	if len(frames) == 0 {
		t.Fatal("no frame in the IVF file")
	}
	return frames
}

// pionPublish publishes frames (looped, 25 fps) as mime over WHIP to path
// with the publisher's credentials until the test ends.
func pionPublish(t *testing.T, d *testharness.Daemon, path, mime string, frames [][]byte) {
	t.Helper()
	pionPublishAs(t, d, path, "", rtspPubUser, rtspPubPass, mime, frames)
}

// pionPublishAs is pionPublish with a query and credentials; the returned
// function ends the publication (the peer connection closes).
func pionPublishAs(t *testing.T, d *testharness.Daemon, path, query, user, pass, mime string, frames [][]byte) func() {
	t.Helper()
	pc := testharness.LoopbackPeerConnection(t, pion.Configuration{})
	stop := make(chan struct{})
	var once sync.Once
	end := func() {
		once.Do(func() {
			close(stop)
			_ = pc.Close()
		})
	}
	t.Cleanup(end)
	codec := pion.RTPCodecCapability{MimeType: mime, ClockRate: 90000}
	if mime == pion.MimeTypeH264 {
		codec.SDPFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	}
	track, err := pion.NewTrackLocalStaticSample(codec, "video", "pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	testharness.GatheredOffer(t, pc)
	webrtcOffer(t, pc, "WHIP", webrtcURL(d, path+"/whip"+query), user, pass)
	go testharness.SendSamples(track, 40*time.Millisecond, stop, func(n int) []byte { return frames[n%len(frames)] })
	return end
}

// h264AUs encodes seconds of the test source with libx264 (Constrained
// Baseline, an access unit delimiter before each unit) and returns its
// Annex-B access units.
func h264AUs(t *testing.T, seconds int) [][]byte {
	t.Helper()
	b := encodeFrames(t, "libx264", "h264", seconds, "-profile:v", "baseline", "-preset", "ultrafast", "-x264-params", "aud=1")
	return splitAtAUD(b, []byte{0, 0, 0, 1, 0x09})
}

// A pion WHIP client publishes H.264 (libx264 access units): ffmpeg reads
// it back over RTSP, RTMP, SRT and HLS with the reader's credentials.
func TestWHIPH264ReadEverywhere(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\nwebrtcIPsFromInterfaces: no\nrtmp: yes\nsrt: yes\nhls: yes\n" +
		"hlsSegmentDuration: 1s\nhlsPartDuration: 200ms\n"})
	pionPublish(t, d, "cam", pion.MimeTypeH264, h264AUs(t, 2))
	p := rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	t.Logf("published over WHIP: tracks %v", p.Tracks)
	if p.Source == nil || p.Source.Type != "webRTCSession" {
		t.Errorf("/v3/paths/list source %+v, want webRTCSession", p.Source)
	}
	sessions := apiItems[struct{ ID, State, Path, User string }](t, d, "/v3/webrtcsessions/list", rtspAdminUser, rtspAdminPass)
	if len(sessions) != 1 || sessions[0].State != "publish" || sessions[0].Path != "cam" || sessions[0].ID != p.Source.ID {
		t.Errorf("/v3/webrtcsessions/list: %+v, want the publisher (state publish, id %s)", sessions, p.Source.ID)
	}
	for _, c := range []struct {
		name, src string
		opts      []string
	}{
		{"RTSP", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), nil},
		{"RTMP", rtmpURL(d, "cam?"+rtmpCreds(rtspReadUser, rtspReadPass)), nil},
		{"SRT", srtURL(d, srtID("read", "cam", rtspReadUser, rtspReadPass)), nil},
		{"HLS", hlsURL(d, "cam/index.m3u8"), []string{"-headers", "Authorization: " + basicHeader(rtspReadUser, rtspReadPass) + "\r\n"}},
	} {
		n, code, out := ffmpegDecode(t, c.src, 10, c.opts...)
		if n < 10 {
			t.Errorf("%s: ffmpeg decoded %d frames (exit %d):\n%s", c.name, n, code, tailLines(out, 20))
		} else {
			t.Logf("%s: ffmpeg decoded %d frames", c.name, n)
		}
	}
}

// A WHIP publisher runs the path's runOnReady (source webRTCSession, the
// publisher's query) and runOnConnect; its end runs runOnNotReady and
// runOnDisconnect.
func TestHooksWHIP(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	dir := t.TempDir()
	d := startHooksDaemon(t, dir, true)
	end := pionPublishAs(t, d, "cams/one", "?foo=pub", hookPubUser, hookPubPass, pion.MimeTypeH264, h264AUs(t, 1))
	ready := waitHook(t, dir, "runOnReady", map[string]string{"MTX_PATH": "cams/one", "MTX_SOURCE_TYPE": "webRTCSession",
		"MTX_SOURCE_ID": "*", "MTX_QUERY": "foo%3Dpub"})
	waitHook(t, dir, "runOnConnect", map[string]string{"MTX_CONN_TYPE": "webRTCSession", "MTX_CONN_ID": ready.env["MTX_SOURCE_ID"]})
	end()
	waitHook(t, dir, "runOnNotReady", map[string]string{"MTX_PATH": "cams/one", "MTX_SOURCE_TYPE": "webRTCSession"})
	waitHook(t, dir, "runOnDisconnect", map[string]string{"MTX_CONN_TYPE": "webRTCSession", "MTX_CONN_ID": ready.env["MTX_SOURCE_ID"]})
}
