package rtmp

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
)

// handshakeS0S1S2 is what a server sends in the plain handshake: S0 (the
// version byte), S1 and S2 (1536 bytes each).
const handshakeS0S1S2 = 1 + 1536 + 1536

// errUpstreamClosed: the connection was closed while a read was checked.
var errUpstreamClosed = errors.New("rtmp: upstream connection closed")

// GuardUpstream wraps the connection to an RTMP server (an rtmp:// source)
// whose messages gortmplib's client will decode: past the handshake, the
// bytes of a message reach the client only once the whole message passed
// the publisher's message guard (no AMF0 command or data, video
// configuration or metadata over maxDecodedBody). A server that sends one
// ends the connection with errMessageTooLarge before the client decodes
// it: a deep AMF0 structure would overflow the decoder's stack, which kills
// the process. nc must be the plain RTMP byte stream (under TLS for
// rtmps://: the caller does the TLS).
//
// A checker goroutine reads a copy of the stream with gortmplib's chunk
// reader; Read hands it the bytes it got and returns them once the checker
// has consumed them all (every message they complete checked).
func GuardUpstream(nc net.Conn) net.Conn {
	g := &upstreamGuard{Conn: nc, handshake: handshakeS0S1S2,
		feed: make(chan []byte), verdict: make(chan error), quit: make(chan struct{}), done: make(chan struct{})}
	go g.check()
	return g
}

type upstreamGuard struct {
	net.Conn
	handshake int // handshake bytes still to pass unchecked

	feed    chan []byte   // Read → checker: bytes read
	verdict chan error    // checker → Read: nil when it needs more bytes, else why it stopped
	quit    chan struct{} // closed by Close
	done    chan struct{} // closed when the checker has stopped
	once    sync.Once
	err     error // the checker's error: every later Read returns it
}

// Read reads from the server; past the handshake it returns bytes only
// once the checker has consumed them.
func (g *upstreamGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.handshake > 0 {
		n, err := g.Conn.Read(p[:min(len(p), g.handshake)])
		g.handshake -= n
		return n, err
	}
	n, err := g.Conn.Read(p)
	if n > 0 {
		select {
		case g.feed <- p[:n]:
		case <-g.quit:
			return 0, errUpstreamClosed
		}
		select {
		case verr := <-g.verdict:
			if verr != nil {
				g.err = verr
				return 0, verr
			}
		case <-g.quit:
			<-g.done // the checker may be reading p
			return 0, errUpstreamClosed
		}
	}
	return n, err
}

// Close closes the connection and stops the checker.
func (g *upstreamGuard) Close() error {
	g.once.Do(func() { close(g.quit) })
	return g.Conn.Close()
}

// check reads the server's messages from the bytes Read feeds it until one
// is refused or the connection is closed.
func (g *upstreamGuard) check() {
	defer close(g.done)
	src := &feedReader{g: g}
	wire := rawmessage.NewReader(src, bytecounter.NewReader(src), func(uint32) error { return nil })
	for {
		raw, err := wire.Read()
		if err == nil {
			err = checkMessage(raw, false)
		}
		if err == nil && raw.Type == uint8(message.TypeSetChunkSize) && len(raw.Body) >= 4 {
			err = wire.SetChunkSize(binary.BigEndian.Uint32(raw.Body) & 0x7fffffff)
		}
		if err != nil {
			select {
			case g.verdict <- err:
			case <-g.quit:
			}
			return
		}
	}
}

// feedReader is the checker's view of the stream: the bytes Read fed it.
// Asked for more once they are consumed, it first tells Read so.
type feedReader struct {
	g       *upstreamGuard
	cur     []byte
	started bool
}

func (f *feedReader) Read(p []byte) (int, error) {
	if len(f.cur) == 0 {
		if f.started {
			select {
			case f.g.verdict <- nil:
			case <-f.g.quit:
				return 0, io.EOF
			}
		}
		f.started = true
		select {
		case f.cur = <-f.g.feed:
		case <-f.g.quit:
			return 0, io.EOF
		}
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}
