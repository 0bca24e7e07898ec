package rtsp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// Writes return at once while the peer is not reading, arrive in order,
// and Close sends what was held before closing.
func TestCoalescingConnOrderAndClose(t *testing.T) {
	a, b := net.Pipe()
	c := newCoalescingConn(a, time.Second)
	c.coalesce()
	var want bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 500 {
			p := bytes.Repeat([]byte{byte(i)}, 100+i)
			want.Write(p)
			if _, err := c.Write(p); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	}()
	select {
	case <-done: // net.Pipe has no buffer: only coalescing lets 500 writes return
	case <-time.After(5 * time.Second):
		t.Fatal("writes waited for the peer")
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, want %d in order", len(got), want.Len())
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := c.Write([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v, want net.ErrClosed", err)
	}
}

// A peer that went away makes later writes fail (gortsplib then closes the
// session), and a writer beyond maxCoalesced waits instead of growing the
// buffer.
func TestCoalescingConnErrorAndBackpressure(t *testing.T) {
	a, b := net.Pipe()
	c := newCoalescingConn(a, time.Second)
	c.coalesce()
	defer c.Close()
	big := make([]byte, maxCoalesced/2+1)
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		for range 4 {
			if _, err := c.Write(big); err != nil {
				return
			}
		}
	}()
	select {
	case <-blocked:
		t.Fatal("4 × half of maxCoalesced were accepted with the peer not reading")
	case <-time.After(200 * time.Millisecond):
	}
	b.Close()
	<-blocked
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err := c.Write([]byte{1}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a closed peer keep succeeding")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A connection holds buffers only while bytes wait for the kernel: after a
// burst was sent its chunks are back in the shared pool (a reader costs
// what it has in flight, not its largest keyframe).
func TestCoalescingConnIdleHoldsNoBuffer(t *testing.T) {
	a, b := net.Pipe()
	c := newCoalescingConn(a, time.Second)
	c.coalesce()
	defer c.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	burst := make([]byte, 1400)
	for range 200 { // a 280 KB keyframe in RTP-sized writes
		if _, err := c.Write(burst); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		// Counted in place: appending spare to pending could write into
		// pending's spare capacity (they may share an array), leaving
		// copies of live chunk pointers there that this check then sees.
		size, held := c.size, 0
		for _, list := range [][]*[]byte{c.pending, c.spare[:cap(c.spare)]} {
			for _, ch := range list {
				if ch != nil {
					held++
				}
			}
		}
		c.mu.Unlock()
		if size == 0 && held == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the burst was sent: %d bytes pending, %d chunks held", size, held)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
