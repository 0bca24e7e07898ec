package rtmp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"

	"github.com/streamgate/streamgate/internal/testharness"
)

// upstream serves one RTMP connection on 127.0.0.1 with serve and returns
// its rtmp:// URL.
func upstream(t *testing.T, serve func(net.Conn)) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	u, _ := url.Parse("rtmp://" + ln.Addr().String() + "/live/cam")
	return u
}

// guardedClient connects to u as an rtmp:// source does: every message
// through GuardUpstream.
func guardedClient(t *testing.T, u *url.URL) (*gortmplib.Client, error) {
	t.Helper()
	c := &gortmplib.Client{URL: u, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return GuardUpstream(nc), nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Initialize(ctx); err != nil {
		return nil, err
	}
	t.Cleanup(c.Close)
	_ = c.NetConn().SetDeadline(time.Now().Add(20 * time.Second))
	return c, nil
}

// A well-behaved server's stream passes the guard whole: its chunk size
// change, the track configuration and H.264 frames of any size (one of
// 300 KiB, over maxDecodedBody: frames are not decoded into structures).
func TestUpstreamGuardPassesFrames(t *testing.T) {
	sizes := []int{3000, 300 << 10, 50, 70 << 10, 2}
	u := upstream(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		serveFrames(c, sizes, func(i int) time.Duration {
			if i == len(sizes)-1 {
				return 3 * time.Second // past gortmplib's probe (2 s), which then replays every frame
			}
			return time.Duration(i) * 40 * time.Millisecond
		})
		_, _ = io.Copy(io.Discard, c) // until the client closes
	})
	c, err := guardedClient(t, u)
	if err != nil {
		t.Fatal(err)
	}
	r := &gortmplib.Reader{Conn: c}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	var got []int
	r.OnDataH264(r.Tracks()[0], func(_, _ time.Duration, au [][]byte) {
		for _, nalu := range au {
			if nalu[0] == 0x65 {
				got = append(got, len(nalu))
			}
		}
	})
	for len(got) < len(sizes) {
		if err := r.Read(); err != nil {
			t.Fatalf("after frames %v: %v", got, err)
		}
	}
	if !slices.Equal(got, sizes) {
		t.Errorf("frames of %v bytes, want %v", got, sizes)
	}
}

// serveFrames is a well-behaved RTMP server on rw: it answers a player's
// connect, createStream and play, then sends an H.264 track's
// configuration and one IDR unit of each size, the i-th at at(i).
func serveFrames(rw io.ReadWriter, sizes []int, at func(int) time.Duration) {
	sc := &gortmplib.ServerConn{RW: rw}
	if sc.Initialize() != nil || sc.Accept() != nil {
		return
	}
	track := &gortmplib.Track{Codec: &codecs.H264{SPS: testharness.H264SPS(), PPS: testharness.H264PPS()}}
	w := &gortmplib.Writer{Conn: sc, Tracks: []*gortmplib.Track{track}}
	if w.Initialize() != nil {
		return
	}
	for i, n := range sizes {
		nalu := bytes.Repeat([]byte{byte(i)}, n)
		nalu[0] = 0x65 // IDR
		if w.WriteH264(track, at(i), at(i), [][]byte{nalu}) != nil {
			return
		}
	}
}

// hostile is a server that answers the handshake, then sends what send
// writes, and holds the connection until the client closes it.
func hostile(send func(net.Conn) error) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, _, err := handshake.DoServer(c, false); err != nil {
			return
		}
		closed := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c); close(closed) }()
		_ = send(c)
		<-closed
	}
}

// hostileConnectResult is a server that answers the client's connect with
// body as its _result (at chunk size 64 KiB).
func hostileConnectResult(body []byte) func(net.Conn) {
	return hostile(func(c net.Conn) error {
		w := rawmessage.NewWriter(c, bytecounter.NewWriter(c), false)
		head, _ := amf0.Data{"_result", float64(1)}.Marshal()
		if err := w.Write(&rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize),
			Body: binary.BigEndian.AppendUint32(nil, 64<<10)}); err != nil {
			return err
		}
		w.SetChunkSize(64 << 10)
		return w.Write(&rawmessage.Message{ChunkStreamID: 3, Type: uint8(message.TypeCommandAMF0), Body: append(head, body...)})
	})
}

// A server setting chunk size 0 and then sending one-byte chunk headers
// of a message that never completes made the client's reader (and the
// guard's checker) add a fragment a byte: 4 MiB received held 117 MB (234
// MB behind the guard). Chunk sizes under 128 are refused.
func TestUpstreamChunkSizeZeroRefused(t *testing.T) {
	u := upstream(t, hostile(func(c net.Conn) error {
		w := rawmessage.NewWriter(c, bytecounter.NewWriter(c), false)
		if err := w.Write(&rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize),
			Body: binary.BigEndian.AppendUint32(nil, 0)}); err != nil {
			return err
		}
		// A type-0 header of a 100-byte command on chunk stream 3, then
		// type-3 headers alone.
		_, err := c.Write(append([]byte{0x03, 0, 0, 0, 0, 0, 100, 20, 0, 0, 0, 0}, bytes.Repeat([]byte{0xc3}, 64<<10)...))
		return err
	}))
	if _, err := guardedClient(t, u); !errors.Is(err, errChunkSizeSmall) {
		t.Fatalf("connect through a server setting chunk size 0: %v, want %v", err, errChunkSizeSmall)
	}
}

// A server (an rtmp:// source's upstream) answering connect with an AMF0
// structure over maxDecodedBody is refused before gortmplib's client
// decodes it. Nested 2.4 million deep, gortmplib's decoder overflowed the
// stack and killed the process ("fatal error: stack overflow").
func TestUpstreamDeepAMF0IsRefused(t *testing.T) {
	refusedInChild(t, "STREAMGATE_RTMP_UPSTREAM_DEEP_AMF0", func() error {
		_, err := guardedClient(t, upstream(t, hostileConnectResult(deepAMF0(9_500_000/4))))
		return err
	})
}

// serverSession is what a well-behaved server sends a playing client after
// the handshake: the answers to connect, createStream and play, the
// track's configuration and frames (recorded from gortmplib's server).
func serverSession(t testing.TB) []byte {
	t.Helper()
	cc, sc := net.Pipe()
	var rec bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.Close()
		serveFrames(struct {
			io.Reader
			io.Writer
		}{sc, io.MultiWriter(sc, &rec)}, []int{3, 3, 3}, func(i int) time.Duration { return time.Duration(i) * 1500 * time.Millisecond })
	}()
	c := &gortmplib.Client{URL: &url.URL{Scheme: "rtmp", Host: "127.0.0.1", Path: "/live/cam"},
		DialContext: func(context.Context, string, string) (net.Conn, error) { return cc, nil }}
	if err := c.Initialize(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, cc)
	<-done
	return rec.Bytes()[handshakeS0S1S2:]
}

// FuzzUpstreamGuard: whatever an rtmp:// source's server sends after the
// handshake, the guarded client's connect and reads end (an error or the
// end of the input), and nothing reaches gortmplib's decoder past the
// guard's bounds. gortmplib's own panics would show here too (the source
// recovers them; a stack overflow it could not).
func FuzzUpstreamGuard(f *testing.F) {
	session := serverSession(f)
	f.Add(session)
	f.Add(session[:len(session)/2])
	head, _ := amf0.Data{"_result", float64(1)}.Marshal()
	var big bytes.Buffer
	w := rawmessage.NewWriter(&big, bytecounter.NewWriter(&big), false)
	_ = w.Write(&rawmessage.Message{ChunkStreamID: 3, Type: uint8(message.TypeCommandAMF0), Body: append(head, deepAMF0(maxDecodedBody/4)...)})
	f.Add(big.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		cc, sc := net.Pipe()
		defer cc.Close()
		defer sc.Close()
		go func() {
			if _, _, err := handshake.DoServer(sc, false); err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, sc) }()
			_, _ = sc.Write(data)
			// Every byte was read (a pipe's Write waits for the reader):
			// the client's next read ends, as at a server's silence.
			_ = cc.SetReadDeadline(time.Now())
		}()
		g := GuardUpstream(cc)
		defer g.Close() // ends the guard's checker
		c := &gortmplib.Client{URL: &url.URL{Scheme: "rtmp", Host: "127.0.0.1", Path: "/live/cam"},
			DialContext: func(context.Context, string, string) (net.Conn, error) { return g, nil }}
		if c.Initialize(context.Background()) != nil {
			return
		}
		r := &gortmplib.Reader{Conn: c}
		if r.Initialize() != nil {
			return
		}
		idr := 0
		if tr := r.Tracks(); len(tr) > 0 {
			if _, ok := tr[0].Codec.(*codecs.H264); ok {
				r.OnDataH264(tr[0], func(_, _ time.Duration, au [][]byte) {
					for _, nalu := range au {
						if len(nalu) > 0 && nalu[0] == 0x65 {
							idr++
						}
					}
				})
			}
		}
		for r.Read() == nil {
		}
		if bytes.Equal(data, session) && idr != 3 {
			t.Errorf("the recorded session gave %d IDR units, want 3", idr)
		}
	})
}
