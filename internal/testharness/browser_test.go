package testharness

import (
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	videosOnce sync.Once
	videosDir  string
	videosErr  error
	webmOnce   sync.Once
	webmErr    error
)

// testVideos makes, once per test process, a 6 s 320x240 H.264 MP4 (the
// codec of the project's HLS), v.mp4, with Debian's ffmpeg, and returns its
// directory.
func testVideos(t *testing.T) string {
	t.Helper()
	RequirePeer(t, "ffmpeg", "ffmpeg")
	videosOnce.Do(func() {
		videosDir, videosErr = os.MkdirTemp("", "streamgate-browser-test-")
		if videosErr == nil {
			videosErr = ffmpegTestsrc(filepath.Join(videosDir, "v.mp4"), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart")
		}
	})
	if videosErr != nil {
		t.Fatal(videosErr)
	}
	return videosDir
}

// testWebM adds v.webm, the same picture in VP8 (a control every Chromium
// plays), to testVideos' directory; it is slow to encode, so it is only
// made when needed.
func testWebM(t *testing.T) {
	t.Helper()
	dir := testVideos(t)
	webmOnce.Do(func() {
		webmErr = ffmpegTestsrc(filepath.Join(dir, "v.webm"), "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k")
	})
	if webmErr != nil {
		t.Fatal(webmErr)
	}
}

func ffmpegTestsrc(out string, enc ...string) error {
	args := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "6"}, enc...)
	if b, err := exec.Command("ffmpeg", append(args, out)...).CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v\n%s", filepath.Base(out), err, b)
	}
	return nil
}

// browserTestServer serves on 127.0.0.1 /h264.html and /vp8.html (an
// autoplaying muted <video>; v.webm only after testWebM), /novideo.html,
// /cancel.html (the H.264 video under another name, whose request closes
// cancelVideo) and /private/ (the H.264 page and video behind HTTP Basic
// alice:s3cret, the page also as /private/wrong/, whose 401s wrong401
// counts).
func browserTestServer(t *testing.T) (srv *httptest.Server, wrong401 *atomic.Int64, cancelVideo chan struct{}) {
	dir := testVideos(t)
	page := func(src string) string {
		return `<!doctype html><html><body style="margin:0"><video autoplay muted playsinline src="` + src + `"></video></body></html>`
	}
	wrong401 = new(atomic.Int64)
	mux := http.NewServeMux()
	html := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("/h264.html", html(page("/v.mp4")))
	mux.HandleFunc("/vp8.html", html(page("/v.webm")))
	mux.HandleFunc("/novideo.html", html(`<!doctype html><p>no video here</p><script>console.log("novideo page")</script>`))
	mux.HandleFunc("/v.mp4", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, filepath.Join(dir, "v.mp4")) })
	cancelVideo = make(chan struct{})
	var cancelOnce sync.Once
	mux.HandleFunc("/cancel.html", html(page("/cancel.mp4")))
	mux.HandleFunc("/cancel.mp4", func(w http.ResponseWriter, r *http.Request) {
		cancelOnce.Do(func() { close(cancelVideo) })
		http.ServeFile(w, r, filepath.Join(dir, "v.mp4"))
	})
	mux.HandleFunc("/v.webm", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, filepath.Join(dir, "v.webm")) })
	mux.HandleFunc("/favicon.ico", http.NotFound)
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
			if r.URL.Path == "/private/wrong/" {
				wrong401.Add(1)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="streamgate-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/private/", "/private/wrong/":
			html(page("/private/v.mp4"))(w, r)
		case "/private/v.mp4":
			http.ServeFile(w, r, filepath.Join(dir, "v.mp4"))
		default:
			http.NotFound(w, r)
		}
	})
	srv = httptest.NewUnstartedServer(mux)
	l, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, wrong401, cancelVideo
}

func TestPlay(t *testing.T) {
	RequireChromium(t)
	PlaywrightModule(t) // installed before the parallel subtests take turns on the lock
	srv, wrong401, cancelVideo := browserTestServer(t)

	t.Run("H264", func(t *testing.T) {
		t.Parallel()
		res := Play(t, PlayOptions{URL: srv.URL + "/h264.html", Screenshot: "h264.png"})
		if !res.Played {
			// The control: does this Chromium play anything?
			testWebM(t)
			vp8 := Play(t, PlayOptions{URL: srv.URL + "/vp8.html", Want: 1})
			t.Fatalf("DEBIAN CHROMIUM DID NOT PLAY H.264 (libx264 yuv420p MP4), the codec of the HLS plan: %s; "+
				"the VP8 WebM control played: %v (%s)", res.Error, vp8.Played, vp8.Error)
		}
		if res.CurrentTime <= 2 || res.Status != http.StatusOK || res.FirstFrame <= 0 || res.FirstFrame > 10*time.Second || res.Error != "" {
			t.Errorf("result %+v: want currentTime > 2, HTTP 200, a first frame within 10 s, no error", res)
		}
		checkPNG(t, res.Screenshot)
	})
	t.Run("BasicAuth", func(t *testing.T) {
		t.Parallel()
		res := Play(t, PlayOptions{URL: srv.URL + "/private/", User: "alice", Pass: "s3cret", Want: 0.5})
		if !res.Played || res.Status != http.StatusOK {
			t.Errorf("right credentials: %+v", res)
		}
	})
	t.Run("WrongCredentials", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		res := Play(t, PlayOptions{URL: srv.URL + "/private/wrong/", User: "alice", Pass: "wrong", Screenshot: "wrong.png", Timeout: 20 * time.Second})
		if res.Played || res.Status != http.StatusUnauthorized || !strings.Contains(res.Error, "401") {
			t.Errorf("wrong credentials: %+v; want not played, HTTP 401", res)
		}
		// It gives up on the 401 rather than waiting for the timeout (the
		// error names the 401, not the timeout), and Chromium does not
		// retry in a loop (one challenge, one answer).
		t.Logf("wrong credentials took %v", time.Since(start))
		if n := wrong401.Load(); n > 2 {
			t.Errorf("the server sent %d 401s: the browser retried", n)
		}
		checkPNG(t, res.Screenshot)
	})
	t.Run("NoCredentials", func(t *testing.T) {
		t.Parallel()
		res := Play(t, PlayOptions{URL: srv.URL + "/private/"})
		if res.Played || res.Status != http.StatusUnauthorized {
			t.Errorf("no credentials: %+v; want not played, HTTP 401", res)
		}
	})
	t.Run("NoVideo", func(t *testing.T) {
		t.Parallel()
		// The error names the missing video, not the timeout: the page
		// was judged as soon as it loaded (a short timeout here only made
		// a loaded machine's slow Chromium fail the test).
		res := Play(t, PlayOptions{URL: srv.URL + "/novideo.html", Timeout: time.Minute})
		if res.Played || res.Status != http.StatusOK || !strings.Contains(res.Error, "no <video>") {
			t.Errorf("page without a video: %+v", res)
		}
		if !strings.Contains(strings.Join(res.Console, "\n"), "novideo page") {
			t.Errorf("console lines %q lack the page's console.log", res.Console)
		}
	})
	// A run ended from outside while its video would play for minutes: the
	// script reports it was killed, Playwright closes Chromium (killMarked
	// finds no process of the run left), and it all takes seconds.
	t.Run("Cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var cancelled time.Time
		done := make(chan struct{})
		go func() {
			defer close(done)
			select {
			case <-cancelVideo:
				time.Sleep(time.Second) // playing by now
			case <-ctx.Done():
			}
			cancelled = time.Now()
			cancel()
		}()
		res, launchErr, stderr, err := play(ctx, t.TempDir(), PlaywrightModule(t), PlayOptions{URL: srv.URL + "/cancel.html", Want: 1000, Timeout: 10 * time.Minute})
		ended := time.Now()
		cancel()
		<-done
		d := ended.Sub(cancelled)
		if err != nil || launchErr != "" {
			t.Fatalf("play: %v %s\n%s", err, launchErr, stderr)
		}
		t.Logf("ended %v after the cancel: %+v", d, res)
		// Whether the video had started when the cancel came depends on the
		// machine's load (it usually has): not judged.
		if res.Played || !strings.Contains(res.Error, "SIGTERM") {
			t.Errorf("result %+v; want not played, killed", res)
		}
		if res.leftovers != 0 {
			t.Errorf("%d browser processes outlived the cancelled run", res.leftovers)
		}
		// Ended by the cancel, not by its own 10-minute timeout.
		if d > 5*time.Minute {
			t.Errorf("the run ended %v after the cancel", d)
		}
	})
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func checkPNG(t *testing.T, path string) {
	t.Helper()
	if path == "" {
		t.Error("no screenshot")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("screenshot %s: %v", path, err)
		return
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Errorf("screenshot %s is %v, want 640x480", path, b)
	}
}
