package testharness

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of one target address, for
// network-partition tests: Cut drops every connection and blackholes new
// ones, Restore forwards again.
type Proxy struct {
	target string
	l      net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{} // forwarded connections, both ends
	held  map[net.Conn]struct{} // accepted while cut: never answered
	wg    sync.WaitGroup
}

// StartProxy listens on 127.0.0.1:0 and forwards every connection to
// target; it stops when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testharness: proxy: %v", err)
	}
	p := &Proxy{target: target, l: l, conns: map[net.Conn]struct{}{}, held: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's address, 127.0.0.1:PORT.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Cut partitions the network: every forwarded connection is closed, and new
// connections are accepted but get no answer (as if packets were dropped)
// until Restore.
func (p *Proxy) Cut() { p.partition(true, p.conns) }

// Restore ends the partition: the connections held while cut are closed
// (their clients reconnect) and new ones are forwarded again.
func (p *Proxy) Restore() { p.partition(false, p.held) }

// partition sets whether the network is cut, and closes and forgets the
// connections in drop.
func (p *Proxy) partition(cut bool, drop map[net.Conn]struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	closeAll(drop)
	clear(drop)
}

// closeAll closes every connection in conns.
func closeAll(conns map[net.Conn]struct{}) {
	for c := range conns {
		c.Close()
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.held[c] = struct{}{}
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	defer p.wg.Done()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *Proxy) close() {
	p.l.Close()
	p.mu.Lock()
	closeAll(p.conns)
	closeAll(p.held)
	p.mu.Unlock()
	p.wg.Wait()
}
