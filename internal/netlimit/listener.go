package netlimit

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Accept back-off: after a failed accept (EMFILE, ENFILE, ECONNABORTED…)
// the listener waits minBackoff, doubling up to maxBackoff while it keeps
// failing, as net/http does.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// MaxBusyAnswers bounds the refused connections being answered at once
// (each for at most BusyTimeout); past it a refused connection is closed
// without an answer. These are the only descriptors held beyond the limits.
const MaxBusyAnswers = 64

// BusyTimeout bounds the answer to one refused connection: reading the
// request and writing the busy answer.
const BusyTimeout = time.Second

// BusyFunc answers a refused connection with its protocol's "busy" (HTTP
// 503 + Retry-After, RTSP 503). The connection has a deadline of
// BusyTimeout and is closed after it returns. Nil: refused connections are
// closed without an answer (RTMP: the close is the reject).
type BusyFunc func(c net.Conn)

// Listener wraps ln for listener name: Accept retries failed accepts with
// back-off (logged at warn, feeding Down) and returns only connections
// within l's limits, each counted until it is closed. Accept returns an
// error only once ln is closed. l may be nil (back-off only).
func (l *Limits) Listener(name string, ln net.Listener, busy BusyFunc) net.Listener {
	l.started(name)
	return &listener{Listener: ln, name: name, limits: l, busy: busy,
		busySlots: make(chan struct{}, MaxBusyAnswers), closed: make(chan struct{})}
}

type listener struct {
	net.Listener
	name      string
	limits    *Limits
	busy      BusyFunc
	busySlots chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func (ln *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ln.isClosed() {
				return nil, err
			}
			delay = min(max(2*delay, minBackoff), maxBackoff)
			ln.limits.acceptFailed(ln.name, err, delay)
			if ln.isClosed() {
				// Close ran while this failure was being recorded: its
				// Forget may have come first, and a closed listener is
				// not down.
				ln.limits.Forget(ln.name)
				return nil, net.ErrClosed
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ln.closed:
				t.Stop()
				// Close may not have reached its Forget yet: the
				// failure recorded above must not outlive this return.
				ln.limits.Forget(ln.name)
				return nil, net.ErrClosed
			}
			continue
		}
		ln.limits.acceptOK(ln.name, delay > 0)
		delay = 0
		release, err := ln.limits.Acquire(ln.name, addrIP(c.RemoteAddr()))
		if err != nil {
			ln.refuse(c)
			continue
		}
		return &conn{Conn: c, release: release}, nil
	}
}

// refuse answers c busy in its own goroutine, when a slot is free, and
// closes it.
func (ln *listener) refuse(c net.Conn) {
	if ln.busy == nil {
		_ = c.Close()
		return
	}
	select {
	case ln.busySlots <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-ln.busySlots }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(BusyTimeout))
		ln.busy(c)
	}()
}

func (ln *listener) isClosed() bool {
	select {
	case <-ln.closed:
		return true
	default:
		return false
	}
}

// Close stops accepting; the listener no longer counts as down.
func (ln *listener) Close() error {
	ln.closeOnce.Do(func() {
		close(ln.closed)
		ln.limits.Forget(ln.name)
	})
	return ln.Listener.Close()
}

// conn is a counted connection: closing it uncounts it.
type conn struct {
	net.Conn
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite half-closes the connection (net/http's lingering close).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the kernel's splice/sendfile path of a TCP connection.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// addrIP is the client address of a, IPv4-mapped addresses unmapped.
func addrIP(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
