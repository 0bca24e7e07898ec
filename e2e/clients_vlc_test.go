package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// vlcCommand is the command line running VLC (cvlc, Debian vlc-bin) on
// args without any interface or output device. VLC refuses to run as root,
// as the test machines do: it runs as nobody (setpriv). --keystore=memory:
// on a 401 VLC looks for stored credentials, and its kwallet/libsecret
// keystores block (over 10 s) on a machine without a D-Bus session, so
// the refusal was printed only when VLC was killed.
func vlcCommand(t *testing.T, args ...string) []string {
	t.Helper()
	testharness.RequirePeer(t, "cvlc", "vlc-bin")
	testharness.RequirePeer(t, "setpriv", "util-linux")
	return append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--reset-env",
		"cvlc", "--intf=dummy", "--keystore=memory", "--aout=dummy", "--vout=dummy", "--no-video-title-show"}, args...)
}

// vlcRead has VLC read url for a few seconds and remux what it got to
// MPEG-TS; it returns the video frames ffprobe decodes from that file and
// VLC's output.
func vlcRead(t *testing.T, url string, seconds int) (int, string) {
	t.Helper()
	// Not under t.TempDir(), whose parent nobody cannot enter.
	dir, err := os.MkdirTemp("", "streamgate-vlc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "vlc.ts")
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+20)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "setpriv", vlcCommand(t, "--run-time="+strconv.Itoa(seconds), "--play-and-exit",
		"--sout=#std{access=file,mux=ts,dst="+out+"}", url, "vlc://quit")...)
	cmd.Dir = dir
	log, _ := cmd.CombinedOutput()
	if _, err := os.Stat(out); err != nil {
		return 0, string(log)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out).Output()
	if err != nil {
		return 0, string(log) + "\nffprobe: " + err.Error()
	}
	n, _ := strconv.Atoi(strings.TrimSpace(strings.Split(string(probe), "\n")[0]))
	return n, string(log)
}

// VLC reads HLS (Basic credentials in the URL), SRT (Debian
// vlc-plugin-access-extra's srt access, streamid in the URL) and RTMP (its
// avio access, libavformat's RTMP) and its frames decode; with a wrong
// password each refusal is asserted on VLC's output: its HTTP access's
// "HTTP 401 error", the rejection reason libsrt logs inside VLC, the
// "authentication failed" status libavformat logs inside VLC. VLC does not
// prompt for credentials: the dummy interface has no dialog provider.
//
// VLC publishes nothing: Debian's VLC has no live555 module (its rtsp:// goes
// to the SAT>IP client, which cannot play an RTSP stream from any server);
// its SRT stream output (#std{access=srt,…}) connects but sends no packet
// with libsrt 1.5, to streamgate or to srt-live-transmit alike (and cuts
// the URL's query, so the streamid must be given as --streamid); it has no
// RTMP or WebRTC output.
func TestClientsVLC(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "srt: yes\nrtmp: yes\n")
	wantListeners(t, d, "srt", "rtmp")
	pub := hlsPublish(t, d, 900)
	t.Cleanup(func() { pub.stop(t) })
	hls := func(pass string) string {
		return "http://" + rtspReadUser + ":" + pass + "@" + d.Addr("hls") + "/cam/index.m3u8"
	}
	srt := func(pass string) string {
		return "srt://" + d.Addr("srt") + "?streamid=" + srtID("read", "cam", rtspReadUser, pass)
	}
	rtmp := func(pass string) string {
		return "rtmp://" + d.Addr("rtmp") + "/cam?" + rtmpCreds(rtspReadUser, pass)
	}
	for _, tt := range []struct{ name, ok, bad, refusal string }{
		{"hls", hls(rtspReadPass), hls("wrong"), "HTTP 401 error"},
		{"srt", srt(rtspReadPass), srt("wrong"), srtRefusal},
		{"rtmp", rtmp(rtspReadPass), rtmp("wrong"), "Server error: authentication failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n, log := vlcRead(t, tt.ok, 6); n < 10 {
				t.Errorf("VLC decoded %d frames over %s, want at least 10:\n%s", n, tt.name, log)
			}
			cliRefused(t, tt.refusal, "setpriv", vlcCommand(t, tt.bad)...)
		})
	}
}
