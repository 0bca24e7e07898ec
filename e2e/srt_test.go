package e2e_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// ffmpeg publishes H.264 + AAC over SRT with the publisher's streamid; the
// API shows the path; ffmpeg reads it back over SRT (both streamid forms)
// and over RTSP with the reader's credentials. A wrong password, a reader
// publishing and a publisher reading are refused, and a refused caller
// learns nothing about the path.
func TestSRTFFmpegPublishAndRead(t *testing.T) {
	t.Parallel()
	d := startSRTDaemon(t, "  cam: {}\n  other: {}\n")

	pub := srtFFmpegPublish(t, srtURL(d, srtID("publish", "cam", srtPubUser, srtPubPass)), 40)
	p := srtWaitPath(t, d, "cam", true, 15*time.Second)
	if p.Source == nil || p.Source.Type != "srtConn" {
		t.Errorf("/v3/paths/list item %+v, want source srtConn", p)
	}
	if want := []string{"H264", "MPEG-4 Audio"}; !slices.Equal(p.Tracks, want) {
		t.Errorf("tracks %q, want %q", p.Tracks, want)
	}

	reads := []struct{ name, src string }{
		{"SRT, MediaMTX streamid", srtURL(d, srtID("read", "cam", srtReadUser, srtReadPass))},
		{"SRT, access-control streamid", srtURL(d, "#!::r=cam,m=request,u="+srtReadUser+",s="+srtReadPass)},
		{"RTSP", "rtsp://" + srtReadUser + ":" + srtReadPass + "@" + d.Addr("rtsp") + "/cam"},
	}
	for _, r := range reads {
		t.Run("read over "+r.name, func(t *testing.T) {
			n, code, out := ffmpegDecode(t, r.src, 25)
			if code != 0 || n == 0 {
				t.Errorf("exit %d, %d frames decoded, want 0 and > 0:\n%s", code, n, out)
			}
		})
	}

	t.Run("publish-only user cannot read", func(t *testing.T) {
		n, code, out := ffmpegDecode(t, srtURL(d, srtID("read", "cam", srtPubUser, srtPubPass)), 5)
		if code == 0 || n != 0 {
			t.Errorf("exit %d, %d frames, want a failure:\n%s", code, n, out)
		}
	})
	for _, c := range []struct{ name, user, pass string }{
		{"wrong password", srtPubUser, "wrong-password"},
		{"reader cannot publish", srtReadUser, srtReadPass},
	} {
		t.Run(c.name, func(t *testing.T) {
			refused := srtFFmpegPublish(t, srtURL(d, srtID("publish", "other", c.user, c.pass)), 5)
			if code := refused.wait(t, 15*time.Second); code == 0 {
				t.Errorf("ffmpeg exited 0, want a failure")
			}
			if _, ok := srtPaths(t, d)["other"]; ok {
				t.Errorf("a refused publisher published")
			}
		})
	}

	t.Run("no path oracle", func(t *testing.T) {
		// A wrong password gets the same rejection for an unconfigured path
		// as for a configured one (an unpublished one, and a published one).
		for _, path := range []string{"nowhere", "other", "cam"} {
			n, code, _ := ffmpegDecode(t, srtURL(d, srtID("read", path, srtReadUser, "wrong")), 5)
			if code == 0 || n != 0 {
				t.Errorf("%s: ffmpeg exit %d, %d frames, want a failure", path, code, n)
			}
		}
		for _, path := range []string{"nowhere", "other", "cam"} {
			if got := srtRejections(d, path); len(got) == 0 || got[len(got)-1] != 1401 {
				t.Errorf("%s: rejections %v, want the last one 1401 (unauthorized)", path, got)
			}
		}
	})

	pub.stop(t)
	srtWaitPath(t, d, "cam", false, 10*time.Second)
	assertNotLogged(t, d, srtPubPass, srtReadPass)
}

// GStreamer's srtsink, a second, independent SRT implementation, publishes
// H.264 + AAC in MPEG-TS with the streamid set as its property; ffmpeg
// reads it back over SRT.
func TestSRTGStreamerPublish(t *testing.T) {
	t.Parallel()
	srtRequireGStreamer(t)
	d := startSRTDaemon(t, "  gst: {}\n")
	// mpegtsmux alignment=7: srtsink sends each buffer as one SRT message,
	// so buffers must be at most 7 TS packets (1316 bytes); larger ones
	// (keyframes) are dropped by libsrt.
	gst := startPeer(t, "gst-launch-1.0", "-q",
		"videotestsrc", "is-live=true", "num-buffers=750", "!",
		"video/x-raw,format=I420,width=320,height=240,framerate=25/1", "!",
		"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=25", "!", "h264parse", "!",
		"mpegtsmux", "name=mux", "alignment=7", "!",
		"srtsink", "uri=srt://"+d.Addr("srt"), "streamid="+srtID("publish", "gst", srtPubUser, srtPubPass),
		"audiotestsrc", "is-live=true", "!", "audioconvert", "!", "voaacenc", "!", "aacparse", "!", "mux.")
	p := srtWaitPath(t, d, "gst", true, 15*time.Second)
	if want := []string{"H264", "MPEG-4 Audio"}; !slices.Equal(p.Tracks, want) {
		t.Errorf("tracks %q, want %q", p.Tracks, want)
	}
	n, code, out := ffmpegDecode(t, srtURL(d, srtID("read", "gst", srtReadUser, srtReadPass)), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading the GStreamer stream: exit %d, %d frames, want 0 and > 0:\n%s", code, n, out)
	}
	if !strings.Contains(out, "h264") || !strings.Contains(out, "aac") {
		t.Errorf("ffmpeg did not see H.264 and AAC:\n%s", out)
	}
	gst.stop(t)
	srtWaitPath(t, d, "gst", false, 10*time.Second)
}

// A stream published over RTSP (H.264 NALUs, AAC access units, parameter
// sets in the SDP) is read over SRT.
func TestSRTReadsRTSPPublished(t *testing.T) {
	t.Parallel()
	d := startSRTDaemon(t, "  fromrtsp: {}\n")
	pub := srtFFmpegPublish(t, "rtsp://"+srtPubUser+":"+srtPubPass+"@"+d.Addr("rtsp")+"/fromrtsp", 30)
	p := srtWaitPath(t, d, "fromrtsp", true, 15*time.Second)
	if p.Source == nil || p.Source.Type != "rtspSession" {
		t.Errorf("source %+v, want rtspSession", p.Source)
	}
	n, code, out := ffmpegDecode(t, srtURL(d, srtID("read", "fromrtsp", srtReadUser, srtReadPass)), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading over SRT: exit %d, %d frames, want 0 and > 0:\n%s", code, n, out)
	}
	if !strings.Contains(out, "aac") {
		t.Errorf("ffmpeg saw no AAC track:\n%s", out)
	}
	pub.stop(t)
}

// srtPublishPassphrase and srtReadPassphrase: a caller without the path's
// passphrase is refused; with it, it publishes or reads.
func TestSRTPassphrase(t *testing.T) {
	t.Parallel()
	const pubPhrase, readPhrase = "publish-phrase-1", "read-phrase-2"
	d := startSRTDaemon(t, "  enc:\n    srtPublishPassphrase: "+pubPhrase+"\n    srtReadPassphrase: "+readPhrase+"\n")
	pubID := srtID("publish", "enc", srtPubUser, srtPubPass)
	for _, c := range []struct{ name, url string }{
		{"no passphrase", srtURL(d, pubID)},
		{"the read passphrase", srtURL(d, pubID, "passphrase="+readPhrase)},
	} {
		refused := srtFFmpegPublish(t, c.url, 5)
		if code := refused.wait(t, 15*time.Second); code == 0 {
			t.Errorf("publisher with %s: ffmpeg exited 0, want a failure", c.name)
		}
		if _, ok := srtPaths(t, d)["enc"]; ok {
			t.Errorf("publisher with %s published", c.name)
		}
	}
	if got, want := srtRejections(d, "enc"), []float64{11, 10}; !slices.Equal(got, want) {
		t.Errorf("rejection codes %v, want %v (unsecure, bad secret)", got, want)
	}

	pub := srtFFmpegPublish(t, srtURL(d, pubID, "passphrase="+pubPhrase), 30)
	srtWaitPath(t, d, "enc", true, 15*time.Second)
	readID := srtID("read", "enc", srtReadUser, srtReadPass)
	if n, code, _ := ffmpegDecode(t, srtURL(d, readID), 5); code == 0 || n != 0 {
		t.Errorf("reader without passphrase: exit %d, %d frames, want a failure", code, n)
	}
	n, code, out := ffmpegDecode(t, srtURL(d, readID, "passphrase="+readPhrase), 25)
	if code != 0 || n == 0 {
		t.Errorf("reader with the passphrase: exit %d, %d frames, want 0 and > 0:\n%s", code, n, out)
	}
	pub.stop(t)
	assertNotLogged(t, d, pubPhrase, readPhrase)
}
