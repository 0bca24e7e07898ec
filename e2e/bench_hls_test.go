package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// BenchmarkHLS100Clients: 100 concurrent Low-Latency HLS clients (gohlslib,
// in this process) with Basic credentials of one argon2 user play a live
// stream (ffmpeg over RTSP, H.264 + AAC) for a fixed window. Reported: HTTP
// requests/s answered 200 across the clients, the daemon's CPU (% of one
// CPU), argon2 verifications (want 1: the rest are decision-cache hits)
// and refused requests (want 0). b.N is not used: run with -benchtime 1x.
func BenchmarkHLS100Clients(b *testing.B) {
	const clients, window = 100, 10 * time.Second
	benchArgonOnce.Do(func() {
		benchArgonHash = hashArgon2(b, rtspArgonPass, "--memory", "65536", "--time", "3", "--threads", "1")
	})
	d := startRTSPDaemon(b, rtspSetup{
		top:   "hls: yes\nhlsSegmentDuration: 1s\nhlsPartDuration: 200ms\n",
		users: fmt.Sprintf("- {user: %s, pass: '%s', permissions: [{action: read}]}\n", benchArgonUser, benchArgonHash),
	})
	pub := rtspFFmpegPublish(b, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 60, "tcp")
	defer pub.stop(b)
	rtspWaitPath(b, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	playlist := hlsURL(d, "cam/index.m3u8")
	argon2 := func() float64 { return d.Metric(b, "streamgate_auth_argon2_verifications_total", nil) }
	argon0 := argon2()

	recs := make([]*hlsRecorder, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			_, recs[i], _ = hlsPlay(b, playlist, benchArgonUser, rtspArgonPass)
		})
	}
	wg.Wait()
	time.Sleep(3 * time.Second) // every client past its start
	count := func(from, to time.Time) (ok, refused int) {
		for _, r := range recs {
			for _, x := range r.exchanges() {
				if x.end.Before(from) || x.end.After(to) {
					continue
				}
				if x.status == http.StatusOK {
					ok++
				} else {
					refused++
				}
			}
		}
		return ok, refused
	}
	ticks0, _ := benchProcStat(b, d.PID())
	start := time.Now()
	b.ResetTimer()
	time.Sleep(window)
	b.StopTimer()
	end := time.Now()
	ticks1, rss := benchProcStat(b, d.PID())
	ok, refused := count(start, end)
	elapsed := end.Sub(start).Seconds()
	b.ReportMetric(float64(ok)/elapsed, "req/s")
	b.ReportMetric(float64(ticks1-ticks0)/benchUserHZ/elapsed*100, "daemon_cpu%")
	b.ReportMetric(float64(rss)/1024, "daemon_rss_MiB")
	b.ReportMetric(argon2()-argon0, "argon2_runs")
	b.ReportMetric(float64(refused), "refused")
	if refused > 0 {
		b.Errorf("%d requests were not answered 200", refused)
	}
}

// BenchmarkBrowserFirstFrame: the time from a headless Chromium page load
// (the player page, Basic credentials) to the first video frame shown,
// over HLS (Low-Latency, hls.js) and over WebRTC (WHEP), the median of 3
// page loads each on a stream that is already live. Chromium's own start is
// not counted. b.N is not used: run with -benchtime 1x.
func BenchmarkBrowserFirstFrame(b *testing.B) {
	d := browserDaemon(b)
	waitStatus(b, "HLS playlist", 15*time.Second, http.StatusOK,
		func() answer { return get(b, hlsURL(d, "cam/index.m3u8"), basicAuth(rtspReadUser, rtspReadPass)) })
	for _, c := range []struct{ name, listener string }{{"hls", "hls"}, {"webrtc", "webrtc"}} {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for range 3 {
				r := testharness.Play(b, testharness.PlayOptions{URL: "http://" + d.Addr(c.listener) + "/cam/",
					User: rtspReadUser, Pass: rtspReadPass, Want: 0.5, Timeout: 30 * time.Second})
				if !r.Played || r.FirstFrame == 0 {
					b.Fatalf("Chromium did not play %s: %s", c.name, r.Error)
				}
				times = append(times, r.FirstFrame)
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[1].Milliseconds()), "ms_to_first_frame")
			b.ReportMetric(float64(times[0].Milliseconds()), "ms_min")
			b.ReportMetric(float64(times[2].Milliseconds()), "ms_max")
		})
	}
}
