package rtsp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// gortsplib writes every interleaved RTP packet to a reader's connection
// with its own system call: a keyframe of a hundred packets fanned out to 50
// readers is 5 000 writes. A coalescing connection gathers what is written
// while its previous write is in the kernel and sends it with the next one,
// so that a burst costs a few system calls per reader. Nothing waits longer
// than one write of the same connection. Connections pass writes straight
// through until a session on them starts playing (Server.OnPlay): publishers
// and one-request connections are untouched.

// maxCoalesced bounds what a connection holds for the kernel; a writer
// beyond it waits (as it would for a full socket buffer).
const maxCoalesced = 1 << 20

// coalesceChunk is the size of the buffers pending bytes are kept in. They
// come from one pool shared by every connection and go back to it as soon
// as the kernel took them, so a connection between bursts holds none: a
// reader costs what it has in flight, not its largest keyframe.
const coalesceChunk = 16 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, coalesceChunk); return &b }}

// closeFlushWait bounds how long Close waits for held bytes to be sent.
const closeFlushWait = time.Second

// coalescingListener hands out coalescing connections.
type coalescingListener struct {
	net.Listener
	// writeTimeout bounds each write to the kernel.
	writeTimeout time.Duration
	// m counts the bytes read and handed to the kernel.
	m *listenerMetrics
}

func (l coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newCoalescingConn(countingConn{c, l.m.received, l.m.sent}, l.writeTimeout), nil
}

// coalescingConn is a net.Conn whose writes are sent by its own goroutine,
// gathered.
type coalescingConn struct {
	net.Conn

	mu      sync.Mutex
	cond    sync.Cond
	pending []*[]byte // written, not yet handed to the kernel: pooled chunks
	size    int       // bytes in pending
	spare   []*[]byte // the chunk list of the write in flight, for reuse
	err     error     // the first write error: every later Write returns it
	closed  bool
	done    chan struct{} // the sender has stopped
	// writeTimeout bounds each write to the kernel. Callers' write
	// deadlines cannot apply to writes that happen later, so they are not
	// passed on (TLS sets one to "now" when it closes, which would drop the
	// last answer).
	writeTimeout time.Duration

	closeOnce sync.Once
	closeErr  error

	on   atomic.Bool // coalescing: set once by coalesce
	once sync.Once
}

func newCoalescingConn(c net.Conn, writeTimeout time.Duration) *coalescingConn {
	if writeTimeout <= 0 {
		writeTimeout = 10 * time.Second
	}
	cc := &coalescingConn{Conn: c, done: make(chan struct{}), writeTimeout: writeTimeout}
	cc.cond.L = &cc.mu
	return cc
}

// coalesce starts gathering writes. It must be called while no write is in
// flight (in a request handler, before the answer is written).
func (c *coalescingConn) coalesce() {
	c.once.Do(func() {
		c.on.Store(true)
		go c.send()
	})
}

// Write queues p; it fails with the first error the connection met. Before
// coalesce it writes p at once.
func (c *coalescingConn) Write(p []byte) (int, error) {
	if !c.on.Load() {
		return c.Conn.Write(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closed && c.size > 0 && c.size+len(p) > maxCoalesced {
		c.cond.Wait()
	}
	switch {
	case c.err != nil:
		return 0, c.err
	case c.closed:
		return 0, net.ErrClosed
	}
	c.size += len(p)
	for rest := p; len(rest) > 0; {
		var last *[]byte
		if n := len(c.pending); n > 0 && len(*c.pending[n-1]) < cap(*c.pending[n-1]) {
			last = c.pending[n-1]
		} else {
			last = chunkPool.Get().(*[]byte)
			c.pending = append(c.pending, last)
		}
		k := min(len(rest), cap(*last)-len(*last))
		*last = append(*last, rest[:k]...)
		rest = rest[k:]
	}
	c.cond.Broadcast()
	return len(p), nil
}

// send hands the pending bytes to the kernel, all it has each time, until
// the connection is closed or a write fails.
func (c *coalescingConn) send() {
	defer close(c.done)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for c.size == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.size == 0 {
			return // closed, nothing left
		}
		out := c.pending
		c.pending, c.size = c.spare[:0], 0
		c.mu.Unlock()
		err := c.writeChunks(out)
		c.mu.Lock()
		c.spare = out[:0]
		if err != nil {
			c.err = err
			c.release(c.pending)
			c.pending, c.size = nil, 0
			c.cond.Broadcast()
			return
		}
		c.cond.Broadcast()
	}
}

// writeChunks writes chunks in order (each bounded by writeTimeout) and
// gives them back to the pool.
func (c *coalescingConn) writeChunks(chunks []*[]byte) error {
	defer c.release(chunks)
	for _, b := range chunks {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
		if _, err := c.Conn.Write(*b); err != nil {
			return err
		}
	}
	return nil
}

func (c *coalescingConn) release(chunks []*[]byte) {
	for i, b := range chunks {
		*b = (*b)[:0]
		chunkPool.Put(b)
		chunks[i] = nil
	}
}

// SetWriteDeadline is ignored once coalescing: writes are sent later, each
// bounded by writeTimeout.
func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	if c.on.Load() {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline sets the read deadline only once coalescing (see
// SetWriteDeadline).
func (c *coalescingConn) SetDeadline(t time.Time) error {
	if c.on.Load() {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetDeadline(t)
}

// Close sends what is pending (waiting at most closeFlushWait) and closes
// the connection.
func (c *coalescingConn) Close() error {
	c.closeOnce.Do(func() {
		if !c.on.Load() {
			c.closeErr = c.Conn.Close()
			return
		}
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
		select {
		case <-c.done:
		case <-time.After(closeFlushWait):
		}
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}
