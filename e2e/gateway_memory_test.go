package e2e_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// TestGatewayHeadersOnlyCostNoMemory: 100 connections that each send only
// the headers of a POST / declaring a 16 MiB body must not make the daemon
// reserve the declared sizes — not without credentials, not with a wrong
// password, and not with valid credentials whose body never comes. The
// daemon's RSS stays within 64 MiB of what it was before (the issue: it
// grew by ~1.6 GiB).
func TestGatewayHeadersOnlyCostNoMemory(t *testing.T) {
	t.Parallel()
	ep := testharness.IPCEndpoint(t, "mem")
	d := testharness.Start(t, `
api: no
metrics: yes
metricsAddress: 127.0.0.1:0
readTimeout: 60s
gateway: yes
gatewayAddress: 127.0.0.1:0
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: producer, pass: producer-secret-1, permissions: [{action: gateway}]}
- {user: scraper, pass: scraper-secret-1, permissions: [{action: metrics}]}
savant:
  url: pub+bind:`+ep+`
`, testharness.WithMetricsAuth("scraper", "scraper-secret-1"))
	addr := d.Addr("gateway")
	const conns = 100
	const allowed = 64 << 20

	cases := []struct {
		name, auth string
		answered   bool // each connection gets its answer (401) before any body
	}{
		{name: "no credentials", answered: true},
		{name: "wrong password", auth: "producer:wrong", answered: true},
		{name: "valid credentials, body never sent", auth: "producer:producer-secret-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := vmRSS(t, d.PID())
			reading := func() float64 { return d.Metric(t, "streamgate_gateway_bodies_reading", nil) }
			readingBefore := reading()
			var answers atomic.Int32
			for range conns {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = nc.Close() })
				req := "POST / HTTP/1.1\r\nHost: gw\r\nContent-Type: application/protobuf\r\nContent-Length: 16777216\r\n"
				if c.auth != "" {
					req += "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(c.auth)) + "\r\n"
				}
				if _, err := nc.Write([]byte(req + "\r\n")); err != nil {
					t.Fatal(err)
				}
				go func() {
					resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
					if err == nil && resp.StatusCode == http.StatusUnauthorized {
						answers.Add(1)
					}
				}()
			}
			// The positive this waits for: every connection answered 401,
			// or (valid credentials) every request authenticated and now
			// waiting for its body (streamgate_gateway_bodies_reading). RSS is checked on the way and after.
			deadline := time.Now().Add(30 * time.Second)
			for {
				grown := vmRSS(t, d.PID()) - before
				if grown > allowed {
					// Report how far it goes (a couple of seconds more).
					for range 40 {
						time.Sleep(50 * time.Millisecond)
						grown = max(grown, vmRSS(t, d.PID())-before)
					}
					t.Fatalf("daemon RSS grew by %d MiB or more with %d header-only requests (allowed %d MiB)",
						grown>>20, conns, allowed>>20)
				}
				done := answers.Load() == conns
				if !c.answered {
					done = reading()-readingBefore >= conns
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("within 30 s: %d of %d connections answered 401, %v requests authenticated and reading their body; RSS grew by %d MiB",
						answers.Load(), conns, reading()-readingBefore, grown>>20)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if grown := vmRSS(t, d.PID()) - before; grown > allowed {
				t.Fatalf("daemon RSS grew by %d MiB with %d header-only requests (allowed %d MiB)", grown>>20, conns, allowed>>20)
			} else {
				t.Logf("RSS grew by %d KiB", grown>>10)
			}
		})
	}
	// The gateway still forwards a valid request.
	mb := composeMedia(t, videoFrame("cam1", 1, "cam"), "cam1", annexB())
	wantStatus(t, "valid POST after the header-only ones", postMedia(t, d.URL("gateway", "/"), mb.body, producer), http.StatusOK)
}

// vmRSS is the resident set size of process pid in bytes (Linux).
func vmRSS(t testing.TB, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the daemon's status: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}
