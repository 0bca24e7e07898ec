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

// vlcRead has VLC (cvlc, Debian vlc-bin) read url for a few seconds and
// remux what it got to MPEG-TS; it returns the video frames ffprobe decodes
// from that file and VLC's output. VLC refuses to run as root, as the test
// machines do: it runs as nobody (setpriv), writing into a directory made
// for it.
func vlcRead(t *testing.T, url string, seconds int) (int, string) {
	t.Helper()
	testharness.RequirePeer(t, "cvlc", "vlc-bin")
	testharness.RequirePeer(t, "setpriv", "util-linux")
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
	cmd := exec.CommandContext(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--reset-env",
		"cvlc", "--intf=dummy", "--aout=dummy", "--vout=dummy", "--no-video-title-show", "--run-time="+strconv.Itoa(seconds), "--play-and-exit",
		"--sout=#std{access=file,mux=ts,dst="+out+"}", url)
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

// VLC reads HLS with Basic credentials in the URL and its frames decode;
// with a wrong password it reads nothing. (Debian's VLC has no live555
// module: its rtsp:// goes to the SAT>IP client, which cannot play an RTSP
// stream from any server, so RTSP is not in VLC's row.)
func TestClientsVLC(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "")
	pub := hlsPublish(t, d, 900)
	t.Cleanup(func() { pub.stop(t) })
	hls := func(user, pass string) string {
		return "http://" + user + ":" + pass + "@" + d.Addr("hls") + "/cam/index.m3u8"
	}
	for _, tt := range []struct{ name, ok, bad string }{
		{"hls", hls(rtspReadUser, rtspReadPass), hls(rtspReadUser, "wrong")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n, log := vlcRead(t, tt.ok, 6); n < 10 {
				t.Errorf("VLC decoded %d frames over %s, want at least 10:\n%s", n, tt.name, log)
			}
			n, log := vlcRead(t, tt.bad, 3)
			if n > 0 {
				t.Errorf("VLC with a wrong password read %d frames over %s", n, tt.name)
			}
			t.Logf("VLC with a wrong password over %s says:\n%s", tt.name, log)
		})
	}
}
