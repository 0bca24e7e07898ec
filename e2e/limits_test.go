package e2e_test

// Connection limits and descriptor exhaustion (issue 12, defect 3): every
// TCP listener keeps accepting after the process ran out of descriptors,
// /ready answers 503 while one cannot accept, and maxConnections /
// maxConnectionsPerIP refuse with the protocol's busy answer.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/streamgate/streamgate/internal/testharness"
)

// limitsConfig runs RTSP (TCP only), the API and metrics; readTimeout is
// long, so that idle connections stay open while a test holds them.
func limitsConfig(top string) string {
	return `
rtsp: yes
rtspTransports: [tcp]
metrics: yes
readTimeout: 60s
authInternalUsers:
- {user: any, permissions: [{action: read}, {action: publish}]}
- {user: admin, pass: admin-secret, permissions: [{action: api}, {action: metrics}]}
paths:
  cam: {}
` + top
}

// rtspOptions sends OPTIONS on a new connection and returns the status line
// and headers of the answer; conn stays open when keep is set (the caller
// closes it).
func rtspOptions(addr string, keep bool) (status string, hdr textproto.MIMEHeader, conn net.Conn, err error) {
	return rtspOptionsFrom(nil, addr, keep)
}

// rtspHoldUntilRefused opens RTSP connections to addr from local (nil:
// any) and holds each one answered 200 until one is answered 503 (closed
// at once) or limit+1 were tried. It returns the held connections (closed
// when the test ends, if not before) and the refusal's status line and
// header; status is "" when nothing was refused.
func rtspHoldUntilRefused(t *testing.T, local net.Addr, addr string, limit int) (held []net.Conn, status string, hdr textproto.MIMEHeader) {
	t.Helper()
	t.Cleanup(func() { closeConns(&held) })
	for i := 0; i <= limit; i++ {
		st, h, c, err := rtspOptionsFrom(local, addr, true)
		if err != nil {
			t.Fatalf("OPTIONS %d: %v", i, err)
		}
		switch rtspStatusCode(st) {
		case "200":
			held = append(held, c)
		case "503":
			c.Close()
			return held, st, h
		default:
			t.Fatalf("OPTIONS %d: %q", i, st)
		}
	}
	return held, "", nil
}

// closeConns closes every connection in *conns and empties it.
func closeConns(conns *[]net.Conn) {
	for _, c := range *conns {
		c.Close()
	}
	*conns = nil
}

// rtspOptionsFrom is rtspOptions from the local address local (nil: any).
func rtspOptionsFrom(local net.Addr, addr string, keep bool) (status string, hdr textproto.MIMEHeader, conn net.Conn, err error) {
	dialer := net.Dialer{Timeout: 2 * time.Second, LocalAddr: local}
	conn, err = dialer.Dial("tcp", addr)
	if err != nil {
		return "", nil, nil, err
	}
	defer func() {
		if !keep || err != nil {
			conn.Close()
			conn = nil
		}
	}()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err = fmt.Fprintf(conn, "OPTIONS rtsp://%s/cam RTSP/1.0\r\nCSeq: 7\r\n\r\n", addr); err != nil {
		return "", nil, conn, err
	}
	tp := textproto.NewReader(bufio.NewReader(conn))
	if status, err = tp.ReadLine(); err != nil {
		return "", nil, conn, err
	}
	hdr, err = tp.ReadMIMEHeader()
	_ = conn.SetDeadline(time.Time{})
	return status, hdr, conn, err
}

// getStatus GETs url with c and returns the status code, the Retry-After
// pollReady asks d's /ready every 50 ms until it answers want or 5 s
// passed; it returns the last answer (status and error) and whether it was
// want.
func pollReady(api *http.Client, d *testharness.Daemon, want int) (last string, ok bool) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _, _, err := getStatus(api, d.URL("api", "/ready"))
		if err == nil && code == want {
			return "", true
		}
		if time.Now().After(deadline) {
			return fmt.Sprintf("%d %v", code, err), false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// header and the body.
func getStatus(c *http.Client, url string) (int, string, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body), nil
}

// TestRTSPAcceptSurvivesDescriptorExhaustion runs the daemon with 64
// descriptors, fills them with idle RTSP connections until accept fails
// (EMFILE), and checks: the failure is logged at warn, /ready answers 503
// meanwhile (asked on a connection opened before), and once the
// connections are gone an RTSP client is answered again within 2 s.
func TestRTSPAcceptSurvivesDescriptorExhaustion(t *testing.T) {
	d := testharness.Start(t, limitsConfig("maxConnections: 0\nmaxConnectionsPerIP: 0\n"),
		testharness.WithFileLimit(64), testharness.WithMetricsAuth("admin", "admin-secret"))
	addr := d.Addr("rtsp")
	if l := d.LogEntriesWhere("descriptor limit"); len(l) != 1 || fmt.Sprint(l[0]["soft"], l[0]["hard"]) != "64 64" {
		t.Errorf("descriptor limit logged as %v, want one line with soft 64, hard 64", l)
	}

	// One kept-alive connection to the API, opened while descriptors are
	// free: /ready is asked on it during the outage.
	api := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	defer api.CloseIdleConnections()
	if code, _, _, err := getStatus(api, d.URL("api", "/ready")); err != nil || code != http.StatusOK {
		t.Fatalf("/ready before: %d %v", code, err)
	}

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// More connections than the daemon has descriptors: some stay in the
	// kernel's backlog, and accepting them fails with EMFILE.
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Errorf("the RTSP listener closed after %d connections: %v", i, err)
			break
		}
		conns = append(conns, c)
	}
	const warnMsg = "listener cannot accept connections; retrying"
	if warns := d.WaitLogCount(warnMsg, 1, 10*time.Second); len(warns) == 0 {
		t.Errorf("no warning that the RTSP listener cannot accept")
	} else if w := warns[0]; w["level"] != "WARN" || w["listener"] != "rtsp" || !strings.Contains(fmt.Sprint(w["error"]), "too many open files") {
		t.Errorf("accept failure logged as %v, want level WARN, listener rtsp, error too many open files", w)
	}

	// While RTSP cannot accept, /ready is 503.
	if last, ok := pollReady(api, d, http.StatusServiceUnavailable); !ok {
		t.Errorf("/ready while RTSP cannot accept: %s, want 503", last)
	}
	api.CloseIdleConnections()

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	start := time.Now()
	deadline := start.Add(2 * time.Second)
	for {
		status, _, _, err := rtspOptions(addr, false)
		if err == nil && rtspStatusCode(status) == "200" {
			t.Logf("RTSP answered again %s after the connections closed", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RTSP not answering 2 s after the connections closed: %q %v\n%s", status, err, d.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last, ok := pollReady(api, d, http.StatusOK); !ok {
		t.Fatalf("/ready after the outage: %s, want 200", last)
	}
	if n := d.Metric(t, "streamgate_listener_accept_errors_total", map[string]string{"listener": "rtsp"}); n < 1 {
		t.Errorf("streamgate_listener_accept_errors_total{listener=rtsp} = %v, want ≥ 1", n)
	}
}

// TestMaxConnectionsBusyAnswers holds maxConnections connections and checks
// that the next RTSP client gets RTSP 503 and the next HTTP client HTTP 503
// with Retry-After, both counted; and that a freed slot is taken again.
func TestMaxConnectionsBusyAnswers(t *testing.T) {
	const limit = 4
	d := testharness.Start(t, limitsConfig(fmt.Sprintf("maxConnections: %d\nmaxConnectionsPerIP: 0\n", limit)),
		testharness.WithMetricsAuth("admin", "admin-secret"))
	addr := d.Addr("rtsp")

	var held []net.Conn
	defer closeConns(&held)
	// The harness's own connections may still count for a moment: fill
	// until the first refusal, at most limit+1 tries.
	held, refusedStatus, refused := rtspHoldUntilRefused(t, nil, addr, limit)
	if refusedStatus == "" {
		t.Fatalf("%d RTSP connections held with maxConnections: %d, none refused", len(held), limit)
	}
	if refused.Get("CSeq") != "7" || refused.Get("Retry-After") == "" {
		t.Errorf("RTSP busy answer %q %v: want the request's CSeq 7 and a Retry-After", refusedStatus, refused)
	}

	// HTTP over the limit: 503 with Retry-After, from the busy answer. A
	// 200 means a connection the server still counted when the RTSP fill
	// was refused (the harness's, closed by the client a moment before)
	// has left the count since: take its slot with RTSP and ask again.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, retry, body, err := getStatus(c, d.URL("api", "/health"))
		if err == nil && code == http.StatusOK && time.Now().Before(deadline) {
			if status, _, conn, err := rtspOptions(addr, true); err == nil && rtspStatusCode(status) == "200" {
				held = append(held, conn)
			} else if conn != nil {
				conn.Close()
			}
			continue
		}
		if err != nil || code != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, "too many connections") {
			t.Errorf("GET /health over maxConnections: %d Retry-After=%q %q %v, want 503 with Retry-After", code, retry, body, err)
		}
		break
	}

	// A freed slot is taken again.
	held[0].Close()
	held = held[1:]
	deadline = time.Now().Add(5 * time.Second)
	for {
		status, _, c, err := rtspOptions(addr, true)
		if err == nil && rtspStatusCode(status) == "200" {
			held = append(held, c)
			break
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing one connection: %q %v, want 200", status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	closeConns(&held)
	fams := scrapeWhenFree(t, d)
	reason := map[string]string{"listener": "rtsp", "reason": "max_connections"}
	rtspRefused := testharness.MetricValue(fams, "streamgate_connections_refused_total", reason)
	reason["listener"] = "api"
	apiRefused := testharness.MetricValue(fams, "streamgate_connections_refused_total", reason)
	if rtspRefused < 1 || apiRefused < 1 {
		t.Errorf("streamgate_connections_refused_total{reason=max_connections}: rtsp %v, api %v; want ≥ 1 each", rtspRefused, apiRefused)
	}
}

// TestMaxConnectionsPerIPBusyAnswers holds maxConnectionsPerIP RTSP
// connections from 127.0.0.3: the next one from 127.0.0.3 gets RTSP 503
// (counted), one from another loopback address (127.0.0.2, to the same
// 127.0.0.1 listener) is served. The test's own connections come from
// addresses the harness never uses: its readiness poll and the metrics
// scrapes come from 127.0.0.1, and the server may still count one of them
// for a moment after the client closed it (make test-stress run 4 and a CI
// run: the third RTSP connection was refused, that slot freed, and the
// RTMP connection that should have been over the limit was served).
func TestMaxConnectionsPerIPBusyAnswers(t *testing.T) {
	const limit = 3
	d := testharness.Start(t, limitsConfig(fmt.Sprintf("rtmp: yes\nmaxConnectionsPerIP: %d\n", limit)),
		testharness.WithMetricsAuth("admin", "admin-secret"))
	addr := d.Addr("rtsp")
	local1 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}
	local2 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}

	var held []net.Conn
	defer closeConns(&held)
	held, refusedStatus, _ := rtspHoldUntilRefused(t, local1, addr, limit)
	if refusedStatus == "" {
		t.Fatalf("%d RTSP connections from 127.0.0.1 held with maxConnectionsPerIP: %d, none refused", len(held), limit)
	}
	status, _, c, err := rtspOptionsFrom(local2, addr, true)
	if err != nil || rtspStatusCode(status) != "200" {
		t.Fatalf("OPTIONS from 127.0.0.2 while 127.0.0.1 is at its limit: %q %v, want 200", status, err)
	}
	held = append(held, c)

	if len(held) != limit+1 {
		t.Fatalf("%d connections held before the refusal, want %d from 127.0.0.3 and 1 from 127.0.0.2", len(held), limit+1)
	}

	// RTMP from 127.0.0.3, over the limit (the count is the process's):
	// closed at once, before its handshake.
	rc, err := (&net.Dialer{Timeout: 2 * time.Second, LocalAddr: local1}).Dial("tcp", d.Addr("rtmp"))
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = rc.Write(append([]byte{3}, make([]byte, 1536)...)) // C0+C1
	if n, err := io.ReadFull(rc, make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Errorf("RTMP over maxConnectionsPerIP: read %d bytes, %v; want the connection closed", n, err)
	}
	rc.Close()

	closeConns(&held)
	fams := scrapeWhenFree(t, d)
	for _, l := range []string{"rtsp", "rtmp"} {
		got := testharness.MetricValue(fams, "streamgate_connections_refused_total", map[string]string{"listener": l, "reason": "max_connections_per_ip"})
		if got < 1 {
			t.Errorf("streamgate_connections_refused_total{listener=%s,reason=max_connections_per_ip} = %v, want ≥ 1", l, got)
		}
	}

	// A reload raises the limit without a restart. The closed connections
	// must have left the count first (the server notices a close
	// asynchronously), or they would fill the raised limit.
	waitMetric(t, d, "the closed RTSP connections released", func(f metricFams) bool {
		return f.v("streamgate_connections_open", map[string]string{"listener": "rtsp"}) == 0
	})
	writeConfig(t, d, limitsConfig(fmt.Sprintf("rtmp: yes\nmaxConnectionsPerIP: %d\n", limit+2)))
	if len(d.WaitLogCount("configuration file applied", 1, 10*time.Second)) == 0 {
		t.Fatalf("the new configuration was not applied\n%s", d.Logs())
	}
	for i := 0; i <= limit; i++ {
		status, _, c, err := rtspOptionsFrom(local1, addr, true)
		if err != nil || rtspStatusCode(status) != "200" {
			t.Fatalf("after raising maxConnectionsPerIP to %d: OPTIONS %d: %q %v, want 200", limit+2, i, status, err)
		}
		held = append(held, c)
	}
}

// isTimeout reports a deadline error.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// scrapeWhenFree scrapes d's metrics (as the limits tests' admin) once the
// limits let a connection from 127.0.0.1 in again: the server notices closed
// connections a little later, so the scrape itself is retried while it gets
// the busy answer (a /health probe first proved nothing: its own connection
// could hold the slot the scrape then needed).
func scrapeWhenFree(t *testing.T, d *testharness.Daemon) map[string]*dto.MetricFamily {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodGet, d.URL("metrics", "/metrics"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin", "admin-secret")
		code, body := 0, ""
		resp, err := c.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
		}
		switch {
		case code == http.StatusOK:
			return testharness.ParseMetrics(t, body)
		case err == nil && code != http.StatusServiceUnavailable:
			t.Fatalf("scrape /metrics: %d %s", code, body)
		case time.Now().After(deadline):
			t.Fatalf("no free connection slot for the metrics scrape: %d %v", code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
