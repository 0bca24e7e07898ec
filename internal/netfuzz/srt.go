package netfuzz

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// SRT packet layout (draft-sharabayko-srt, section 3): a 16-byte header
// whose first bit marks a control packet, with the control type in the
// rest of the first 16 bits and the destination socket ID at 12; a
// handshake (control type 0) carries its type at 36, the sender's socket
// ID at 40, the SYN cookie at 44 and the peer IP up to 64, then the
// extensions.
const (
	srtTimestamp     = 8
	srtDestSocket    = 12
	srtHSType        = 36
	srtHSSocket      = 40
	srtHSCookie      = 44
	srtHSMin         = 64
	srtHSConclusion  = 0xffffffff
	srtControlHandsh = 0
)

// IsSRTHandshake reports whether b is an SRT handshake control packet.
func IsSRTHandshake(b []byte) bool {
	return len(b) >= 16 && b[0]&0x80 != 0 && binary.BigEndian.Uint16(b)&0x7fff == srtControlHandsh
}

// srtPeer is what the server told us in its handshake answers.
type srtPeer struct {
	mu      sync.Mutex
	changed chan struct{}
	cookie  uint32
	socket  uint32
	answers int
	total   int
}

func (p *srtPeer) add(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += len(b)
	if IsSRTHandshake(b) && len(b) >= srtHSMin {
		p.answers++
		if c := binary.BigEndian.Uint32(b[srtHSCookie:]); c != 0 {
			p.cookie = c
		}
		if binary.BigEndian.Uint32(b[srtHSType:]) == srtHSConclusion {
			p.socket = binary.BigEndian.Uint32(b[srtHSSocket:])
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *srtPeer) state() (cookie, socket uint32, answers int, ch <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cookie, p.socket, p.answers, p.changed
}

// fixSRT puts the live SYN cookie into a conclusion handshake and the
// server's socket ID into a packet addressed to the recorded one.
func fixSRT(b []byte, cookie, socket uint32) []byte {
	if len(b) < 16 {
		return b
	}
	if IsSRTHandshake(b) && len(b) >= srtHSMin && binary.BigEndian.Uint32(b[srtHSType:]) == srtHSConclusion && cookie != 0 {
		binary.BigEndian.PutUint32(b[srtHSCookie:], cookie)
	}
	if binary.BigEndian.Uint32(b[srtDestSocket:]) != 0 && socket != 0 {
		binary.BigEndian.PutUint32(b[srtDestSocket:], socket)
	}
	return b
}

// srtSpeedup is how much faster than recorded SRT sessions are replayed.
const srtSpeedup = 4

// maxSRTPause bounds one wait for a packet's timestamp (a mutated
// timestamp may lie far ahead).
const maxSRTPause = 200 * time.Millisecond

func replayUDP(ctx context.Context, s Seed, addr string, o ReplayOptions) Result {
	var res Result
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		res.Err = err
		return res
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		res.Err = err
		return res
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	peer := &srtPeer{changed: make(chan struct{})}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			peer.add(buf[:n])
		}
	}()
	var (
		paced bool
		start time.Time
		ts0   time.Duration
	)
	for _, dg := range s.Chunks {
		if ctx.Err() != nil {
			break
		}
		if len(dg) < 16 {
			n, _ := c.Write(dg)
			res.Sent += n
			continue
		}
		cookie, socket, answers, _ := peer.state()
		if !o.NoFixups {
			dg = fixSRT(bytes.Clone(dg), cookie, socket)
		}
		n, err := c.Write(dg)
		res.Sent += n
		if err != nil {
			res.Err = err
			// ICMP port unreachable from an earlier datagram: go on.
			continue
		}
		if IsSRTHandshake(dg) {
			waitSRT(ctx, peer, answers, o.ResponseWait)
			continue
		}
		// Paced by the packets' timestamps, srtSpeedup times faster than
		// the live sender was: the receiver delivers a packet only at its
		// timestamp plus the latency, and the final SHUTDOWN must not
		// overtake all the data.
		ts := time.Duration(binary.BigEndian.Uint32(dg[srtTimestamp:])) * time.Microsecond
		if !paced {
			paced, start, ts0 = true, time.Now(), ts
		}
		if wait := time.Until(start.Add((ts - ts0) / srtSpeedup)); wait > 0 {
			select {
			case <-time.After(min(wait, maxSRTPause)):
			case <-ctx.Done():
			}
		}
	}
	select {
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
	}
	c.Close()
	<-readDone
	peer.mu.Lock()
	res.Received = peer.total
	peer.mu.Unlock()
	return res
}

func waitSRT(ctx context.Context, p *srtPeer, answers int, d time.Duration) {
	waitChange(ctx, d, func() (bool, <-chan struct{}) {
		_, _, got, ch := p.state()
		return got > answers, ch
	})
}
