package netlimit_test

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/testharness"
)

func TestAcquireLimits(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	tests := []struct {
		name       string
		max, perIP int
		from       []netip.Addr // acquired in order
		refused    int          // index of the first refusal, -1: none
		reason     netlimit.Reason
	}{
		{"no limits", 0, 0, []netip.Addr{a, a, a, b}, -1, ""},
		{"global", 3, 0, []netip.Addr{a, b, a, b}, 3, netlimit.ReasonMaxConnections},
		{"per address", 0, 2, []netip.Addr{a, a, b, b, a}, 4, netlimit.ReasonMaxConnectionsPerIP},
		{"global first", 2, 2, []netip.Addr{a, a, b}, 2, netlimit.ReasonMaxConnections},
		{"mapped IPv4 is the same address", 0, 1, []netip.Addr{a, netip.AddrFrom16(a.As16())}, 1, netlimit.ReasonMaxConnectionsPerIP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := netlimit.New(nil, nil)
			l.Set(tt.max, tt.perIP)
			refused := -1
			for i, ip := range tt.from {
				_, err := l.Acquire("x", ip)
				var be *netlimit.BusyError
				if errors.As(err, &be) {
					refused = i
					if be.Reason != tt.reason {
						t.Errorf("reason %s, want %s", be.Reason, tt.reason)
					}
					break
				}
			}
			if refused != tt.refused {
				t.Errorf("first refusal at %d, want %d", refused, tt.refused)
			}
		})
	}
}

func TestReleaseFreesASlotOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	l := netlimit.New(reg, nil)
	l.Set(1, 0)
	ip := netip.MustParseAddr("192.0.2.1")
	release, err := l.Acquire("rtsp", ip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire("rtsp", ip); err == nil {
		t.Fatal("second connection accepted over maxConnections 1")
	}
	release()
	release() // no double count
	if l.Open() != 0 {
		t.Fatalf("open %d after release, want 0", l.Open())
	}
	if _, err := l.Acquire("rtsp", ip); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if n := refused(t, reg, "rtsp", "max_connections"); n != 1 {
		t.Errorf("streamgate_connections_refused_total{listener=rtsp,reason=max_connections} = %v, want 1", n)
	}
}

// refused reads streamgate_connections_refused_total{listener,reason}.
func refused(t *testing.T, reg *prometheus.Registry, listener, reason string) float64 {
	t.Helper()
	return testharness.GatheredMetric(t, reg, "streamgate_connections_refused_total",
		map[string]string{"listener": listener, "reason": reason})
}

func TestNilLimitsCountNothing(t *testing.T) {
	var l *netlimit.Limits
	release, err := l.Acquire("x", netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	release()
	l.Set(1, 1)
	if l.Down() != nil || l.Open() != 0 {
		t.Fatal("nil limits report something")
	}
}

// failingListener fails its first n accepts with EMFILE, then hands out
// one end of a pipe per accept.
type failingListener struct {
	fails  atomic.Int32
	closed chan struct{}
}

func (f *failingListener) Accept() (net.Conn, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	select {
	case <-f.closed:
		return nil, net.ErrClosed
	default:
	}
	a, b := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	return a, nil
}

func (f *failingListener) Close() error {
	close(f.closed)
	return nil
}

func (f *failingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func TestAcceptRetriesAndReportsDown(t *testing.T) {
	l := netlimit.New(nil, nil)
	inner := &failingListener{closed: make(chan struct{})}
	inner.fails.Store(4) // 5+10+20+40 ms of back-off
	ln := l.Listener("rtsp", inner, nil)
	got := make(chan error, 1)
	var down []string
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		got <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(down) == 0 && time.Now().Before(deadline) {
		down = l.Down()
		time.Sleep(time.Millisecond)
	}
	if len(down) != 1 || down[0] != "rtsp" {
		t.Errorf("Down() while accepts fail = %v, want [rtsp]", down)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Accept returned %v, want a connection after the failures", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after the failures stopped")
	}
	if d := l.Down(); len(d) != 0 {
		t.Errorf("Down() after a successful accept = %v, want none", d)
	}
	// Closed: Accept fails with net.ErrClosed, even while backing off.
	inner.fails.Store(1 << 20)
	go func() { time.Sleep(20 * time.Millisecond); ln.Close() }()
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
	if d := l.Down(); len(d) != 0 {
		t.Errorf("Down() after Close = %v, want none (closed on purpose)", d)
	}
}

func TestRefusedConnectionGetsBusyAnswer(t *testing.T) {
	l := netlimit.New(nil, nil)
	l.Set(1, 0)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := l.Listener("api", tcp, func(c net.Conn) { _, _ = io.WriteString(c, "busy") })
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held until the listener closes
		}
	}()
	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = second.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(second)
	if string(b) != "busy" || err != nil {
		t.Fatalf("refused connection read %q, %v; want busy, then EOF", b, err)
	}
}
