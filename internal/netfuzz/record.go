package netfuzz

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// Recorder is a proxy on 127.0.0.1 in front of one listener that records
// what each client sends, as it arrives (one chunk a read or datagram), up
// to MaxSeedSize bytes a session; it is how the committed seeds are made
// (TestNetworkFuzzSeeds with -netfuzz.update).
type Recorder struct {
	target string
	tcp    net.Listener
	udp    *net.UDPConn

	mu       sync.Mutex
	sessions []*recording
	wg       sync.WaitGroup
	closed   chan struct{}
}

type recording struct {
	mu     sync.Mutex
	chunks [][]byte
	size   int
}

func (r *recording) add(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size+len(b)+4 > MaxSeedSize-len(seedMagic) {
		return
	}
	r.chunks = append(r.chunks, bytes.Clone(b))
	r.size += len(b) + 4
}

// RecordTCP starts a recording TCP proxy in front of target.
func RecordTCP(target string) (*Recorder, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Recorder{target: target, tcp: l, closed: make(chan struct{})}
	r.wg.Go(r.acceptTCP)
	return r, nil
}

// RecordUDP starts a recording UDP proxy in front of target: each client
// address gets its own upstream socket, and its datagrams are one session.
func RecordUDP(target string) (*Recorder, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	r := &Recorder{target: target, udp: c, closed: make(chan struct{})}
	r.wg.Go(r.serveUDP)
	return r, nil
}

// Addr is the proxy's address.
func (r *Recorder) Addr() string {
	if r.tcp != nil {
		return r.tcp.Addr().String()
	}
	return r.udp.LocalAddr().String()
}

// Sessions returns what each client sent so far, in the order they came.
func (r *Recorder) Sessions() [][][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][][]byte, 0, len(r.sessions))
	for _, s := range r.sessions {
		s.mu.Lock()
		out = append(out, append([][]byte(nil), s.chunks...))
		s.mu.Unlock()
	}
	return out
}

// Close stops the proxy and every forwarded connection.
func (r *Recorder) Close() {
	close(r.closed)
	if r.tcp != nil {
		r.tcp.Close()
	}
	if r.udp != nil {
		r.udp.Close()
	}
	r.wg.Wait()
}

func (r *Recorder) newRecording() *recording {
	rec := &recording{}
	r.mu.Lock()
	r.sessions = append(r.sessions, rec)
	r.mu.Unlock()
	return rec
}

func (r *Recorder) acceptTCP() {
	for {
		c, err := r.tcp.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", r.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		rec := r.newRecording()
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					rec.add(buf[:n])
					if _, werr := up.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			if tc, ok := up.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}()
		go func() {
			defer r.wg.Done()
			_, _ = io.Copy(c, up)
			c.Close()
			up.Close()
		}()
		go func() {
			<-r.closed
			c.Close()
			up.Close()
		}()
	}
}

func (r *Recorder) serveUDP() {
	type peer struct {
		up  *net.UDPConn
		rec *recording
	}
	peers := map[string]*peer{}
	defer func() {
		for _, p := range peers {
			p.up.Close()
		}
	}()
	target, err := net.ResolveUDPAddr("udp", r.target)
	if err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.udp.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p := peers[from.String()]
		if p == nil {
			up, err := net.DialUDP("udp", nil, target)
			if err != nil {
				continue
			}
			p = &peer{up: up, rec: r.newRecording()}
			peers[from.String()] = p
			r.wg.Go(func() {
				b := make([]byte, 64<<10)
				for {
					n, err := up.Read(b)
					if err != nil {
						return
					}
					_, _ = r.udp.WriteToUDP(b[:n], from)
				}
			})
		}
		p.rec.add(buf[:n])
		_, _ = p.up.Write(buf[:n])
	}
}
