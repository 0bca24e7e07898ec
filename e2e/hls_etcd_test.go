package e2e_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"

	"github.com/streamgate/streamgate/internal/testharness"
)

// hlsExchange is one request an HLS client made and its answer.
type hlsExchange struct {
	start, end time.Time
	file       string
	status     int
}

// hlsRecorder is an http.RoundTripper that records every exchange.
type hlsRecorder struct {
	mu   sync.Mutex
	list []hlsExchange
}

func (r *hlsRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(req)
	x := hlsExchange{start: start, end: time.Now(), file: req.URL.Path}
	if err == nil {
		x.status = resp.StatusCode
	}
	r.mu.Lock()
	r.list = append(r.list, x)
	r.mu.Unlock()
	return resp, err
}

func (r *hlsRecorder) exchanges() []hlsExchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hlsExchange(nil), r.list...)
}

// hlsPlay plays url with gohlslib's client as user:pass, counting decoded
// H.264 access units, until the returned stop is called.
func hlsPlay(t testing.TB, url, user, pass string) (frames *atomic.Int64, rec *hlsRecorder, stop func()) {
	t.Helper()
	frames, rec = &atomic.Int64{}, &hlsRecorder{}
	var c *gohlslib.Client
	c = &gohlslib.Client{
		URI:        url,
		HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second},
		OnRequest:  func(r *http.Request) { r.SetBasicAuth(user, pass) },
		// Quiet: the client logs every download by default.
		OnDownloadPrimaryPlaylist: func(string) {},
		OnDownloadStreamPlaylist:  func(string) {},
		OnDownloadSegment:         func(string) {},
		OnDownloadPart:            func(string) {},
		OnTracks: func(tracks []*gohlslib.Track) error {
			for _, tr := range tracks {
				if _, ok := tr.Codec.(*codecs.H264); ok {
					c.OnDataH26x(tr, func(_, _ int64, _ [][]byte) { frames.Add(1) })
				}
			}
			return nil
		},
	}
	if err := c.Start(); err != nil {
		t.Fatalf("HLS client: %v", err)
	}
	var once sync.Once
	stop = func() { once.Do(c.Close) }
	t.Cleanup(stop)
	return frames, rec, stop
}

// With an argon2 user from etcd, 20 s of HLS playback cost exactly one
// argon2 verification; deleting the user from etcd stops segment delivery
// within one segment duration (1 s).
func TestHLSArgon2OnceAndEtcdRevocation(t *testing.T) {
	t.Parallel()
	const segment = time.Second
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/hlsviewer", userRecord(seedHash1, ""))
	d := startHLSDaemon(t, "authMethod: [internal, etcd]\n"+e.AuthEtcdYAML("  permissions: [{action: read}]\n"))
	pub := hlsPublish(t, d, 60)
	defer pub.stop(t)

	argon2 := func() float64 { return d.Metric(t, "streamgate_auth_argon2_verifications_total", nil) }
	before := argon2()
	frames, rec, stop := hlsPlay(t, hlsURL(d, "cam/index.m3u8"), "hlsviewer", "password1")
	// Played until 200 access units from 20 media files (20 s of stream):
	// every one of those requests was authenticated, so the argon2 count
	// read after them covers them all.
	counts := func() (served, segs int) {
		for _, x := range rec.exchanges() {
			if x.status == http.StatusOK {
				served++
				if strings.HasSuffix(x.file, ".mp4") {
					segs++
				}
			}
		}
		return served, segs
	}
	started := time.Now()
	for {
		_, segs := counts()
		if frames.Load() >= 200 && segs >= 20 {
			break
		}
		if time.Since(started) > time.Minute {
			t.Fatalf("the HLS client decoded %d access units from %d media files in a minute; want ≥ 200 and ≥ 20", frames.Load(), segs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ran := argon2() - before
	served, segs := counts()
	t.Logf("HLS for %v: %d requests answered 200 (%d init/segments/parts), %d access units decoded, %v argon2 verifications",
		time.Since(started).Round(time.Second), served, segs, frames.Load(), ran)
	if ran != 1 {
		t.Errorf("HLS playback of 20 media files ran %v argon2 verifications, want exactly 1", ran)
	}

	// Revocation: delete the user in etcd while the client plays.
	deleted := time.Now() // before the call: the daemon may see the deletion before Delete returns
	e.Delete(t, "/users/hlsviewer")
	// Until the client is refused (it stops at its first 401); stop waits
	// for its requests in flight, so the record below is complete.
	for refusedYet := false; !refusedYet; time.Sleep(50 * time.Millisecond) {
		for _, x := range rec.exchanges() {
			refusedYet = refusedYet || !x.start.Before(deleted) && x.status == http.StatusUnauthorized
		}
		if !refusedYet && time.Since(deleted) > 10*time.Second {
			break // reported below
		}
	}
	stop()
	var refused int
	var firstRefusal time.Duration
	for _, x := range rec.exchanges() {
		if x.start.Before(deleted) {
			continue
		}
		switch {
		case x.status == http.StatusOK && x.start.After(deleted.Add(segment)):
			t.Errorf("%s requested %v after the user was deleted was answered 200", x.file, x.start.Sub(deleted).Round(time.Millisecond))
		case x.status == http.StatusUnauthorized:
			if refused == 0 {
				firstRefusal = x.end.Sub(deleted)
			}
			refused++
		}
	}
	t.Logf("after the deletion from etcd: first 401 %v later, %d requests refused", firstRefusal.Round(time.Millisecond), refused)
	if refused == 0 {
		t.Errorf("no request after the deletion was refused with 401: %+v", rec.exchanges())
	}
	if a := get(t, hlsURL(d, "cam/index.m3u8"), basicAuth("hlsviewer", "password1")); a.status != http.StatusUnauthorized {
		t.Errorf("the deleted user's playlist request → %d, want 401", a.status)
	}
}
