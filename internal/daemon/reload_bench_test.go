package daemon_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

// usersYAML is a configuration with n internal users and the API on an
// ephemeral port; version changes one user's password.
func usersYAML(n, version int) []byte {
	var y strings.Builder
	y.WriteString("rtsp: no\nrtmp: no\nhls: no\nwebrtc: no\nsrt: no\napiAddress: 127.0.0.1:0\nmetrics: no\n")
	y.WriteString("authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}\nauthInternalUsers:\n")
	fmt.Fprintf(&y, "- {user: loader, pass: loader-pass, permissions: [{action: api}]}\n")
	for i := range n {
		fmt.Fprintf(&y, "- {user: user%d, pass: pass-%d-%d, permissions: [{action: read, path: cam%d}, {action: api}]}\n", i, i, version*int(boolInt(i == 0)), i)
	}
	return []byte(y.String())
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// A reload of a configuration with 10 000 internal users (parse, compile,
// swap, re-check) while API requests run: time per reload, and how many
// requests failed during the reloads (want 0).
func BenchmarkReload10kUsers(b *testing.B) {
	logger := slog.New(slog.DiscardHandler)
	c, err := config.Parse("bench.yml", usersYAML(10000, 0), nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := daemon.New(c, logger)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = d.Shutdown(b.Context()) }()
	url := "http://" + d.Addrs()["api"].String() + "/v3/paths/list"
	files := [][]byte{usersYAML(10000, 1), usersYAML(10000, 2)}

	var requests, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.SetBasicAuth("loader", "loader-pass")
				resp, err := client.Do(req)
				requests.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c, err := config.Parse("bench.yml", files[i%2], nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Reload(c); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(failed.Load()), "failed-requests")
	b.ReportMetric(float64(requests.Load()), "requests")
	if failed.Load() > 0 {
		b.Errorf("%d of %d requests failed during the reloads", failed.Load(), requests.Load())
	}
}
