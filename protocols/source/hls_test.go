package source

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/streamgate/streamgate/internal/testharness"
)

// tsSegment is segment k of a live H.264 stream: one second, 25 frames,
// an IDR (with SPS and PPS) first.
func tsSegment(t testing.TB, k int64) []byte {
	var buf bytes.Buffer
	video := &mpegts.Track{PID: 256, Codec: &tscodecs.H264{}}
	w := &mpegts.Writer{W: &buf, Tracks: []*mpegts.Track{video}}
	if err := w.Initialize(); err != nil {
		t.Error(err)
		return nil
	}
	for i := range int64(25) {
		pts := 90000*k + 90000*i/25
		au := [][]byte{{0x41, 0x9a, byte(i)}}
		if i == 0 {
			au = [][]byte{fuzzSPS, fuzzPPS, {0x65, 0x88, 0x84, byte(k)}}
		}
		if err := w.WriteH264(video, pts, pts, au); err != nil {
			t.Error(err)
			return nil
		}
	}
	return buf.Bytes()
}

// liveOrigin is a plain Go HLS origin: a live playlist of the latest 3
// one-second segments that gains a segment a second up to segment last
// (then it stops advancing, with no EXT-X-ENDLIST); hang makes segment
// downloads send their headers and a few bytes, then hang.
type liveOrigin struct {
	t     testing.TB
	start time.Time
	last  int64
	hang  atomic.Bool
}

func (o *liveOrigin) newest() int64 {
	return min(int64(time.Since(o.start)/time.Second)+2, o.last)
}

func (o *liveOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := o.newest()
	if r.URL.Path == "/index.m3u8" {
		var b strings.Builder
		first := max(n-2, 0)
		fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", first)
		for k := first; k <= n; k++ {
			fmt.Fprintf(&b, "#EXTINF:1.000,\nseg%d.ts\n", k)
		}
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		_, _ = w.Write([]byte(b.String()))
		return
	}
	var k int64
	if _, err := fmt.Sscanf(r.URL.Path, "/seg%d.ts", &k); err != nil || k > n {
		http.NotFound(w, r)
		return
	}
	seg := tsSegment(o.t, k)
	w.Header().Set("Content-Type", "video/mp2t")
	if o.hang.Load() {
		w.Header().Set("Content-Length", fmt.Sprint(len(seg)))
		_, _ = w.Write(seg[:188])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	_, _ = w.Write(seg)
}

// startHLSSource serves o and starts an HLS source pulling its playlist;
// both stop when the test ends.
func startHLSSource(t *testing.T, o *liveOrigin) (*Runner, *Metrics, *testharness.LockedBuffer) {
	t.Helper()
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	r, m, logs := testRunner(t, srv.URL+"/index.m3u8", runHLS)
	r.Start()
	t.Cleanup(r.Stop)
	return r, m, logs
}

// An HLS origin whose playlist stops advancing is noticed: a source error
// (logged at warn, counted), and the source is retried. gohlslib's client
// itself gives up after a few reloads that bring no next segment ("next
// segment not found or not ready yet"); the watchdog (no new media for
// readTimeout) is there when it does not.
func TestHLSStalledPlaylist(t *testing.T) {
	o := &liveOrigin{t: t, start: time.Now(), last: 3}
	r, m, logs := startHLSSource(t, o)
	testharness.WaitFor(t, "the source to publish", 15*time.Second, func() bool { return r.State() == StateReady })
	testharness.WaitFor(t, "two stalls noticed (a retry)", 15*time.Second, func() bool {
		return testutil.ToFloat64(m.errors.WithLabelValues("hls")) >= 2
	})

	if l := logs.String(); !strings.Contains(l, `level=WARN msg="source failed; retrying"`) {
		t.Errorf("no warning:\n%s", l)
	}
}

// A segment download that hangs after its headers is noticed the same way.
func TestHLSHangingSegment(t *testing.T) {
	o := &liveOrigin{t: t, start: time.Now(), last: 1 << 30}
	o.hang.Store(true)
	r, m, logs := startHLSSource(t, o)
	testharness.WaitFor(t, "the stall noticed", 15*time.Second, func() bool { return testutil.ToFloat64(m.errors.WithLabelValues("hls")) >= 1 })
	if l := logs.String(); !strings.Contains(l, errHLSStalled.Error()) {
		t.Errorf("the error does not name the stall:\n%s", l)
	}
	// The origin recovers: so does the source.
	o.hang.Store(false)
	testharness.WaitFor(t, "the source to publish after the origin recovered", 15*time.Second, func() bool { return r.State() == StateReady })
}
