package e2e_test

// A small RTSP client in Go (gortsplib v5) for the tests that need many
// clients or exact control: far cheaper than one ffmpeg per client.

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// An SPS and PPS of a 320x240 H.264 stream (from x264), and a tiny IDR slice.
var (
	rtspTestSPS = []byte{0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40,
		0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8}
	rtspTestPPS = []byte{0x68, 0xce, 0x0f, 0xc8}
	rtspTestIDR = []byte{0x65, 0x88, 0x84, 0x00, 0x33, 0xff}
)

func rtspTCP() *gortsplib.Protocol {
	p := gortsplib.ProtocolTCP
	return &p
}

// rtspGoPublish publishes one H.264 track to rtspURL over TCP with a Go
// client that sends an access unit every 100 ms until the test ends.
func rtspGoPublish(t testing.TB, rtspURL string) {
	t.Helper()
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: rtspTestSPS, PPS: rtspTestPPS}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	c := &gortsplib.Client{Protocol: rtspTCP()}
	if err := c.StartRecording(rtspURL, desc); err != nil {
		t.Fatalf("Go publisher on %s: %v", rtspURL, err)
	}
	enc, err := forma.CreateEncoder()
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for ts := uint32(0); ; ts += 9000 {
			pkts, err := enc.Encode([][]byte{rtspTestIDR})
			if err != nil {
				return
			}
			for _, p := range pkts {
				p.Timestamp = ts
				if c.WritePacketRTP(desc.Medias[0], p) != nil {
					return
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		c.Close()
	})
}

// rtspGoReader is a Go client playing a path.
type rtspGoReader struct {
	c       *gortsplib.Client
	desc    *description.Session
	packets atomic.Int64
}

// rtspGoRead describes, sets up and plays rtspURL over TCP.
func rtspGoRead(rtspURL string) (*rtspGoReader, error) { return rtspGoReadTLS(rtspURL, nil) }

// rtspGoReadTLS is rtspGoRead with the TLS client configuration of an
// rtsps:// URL.
func rtspGoReadTLS(rtspURL string, tlsCfg *tls.Config) (*rtspGoReader, error) {
	u, err := base.ParseURL(rtspURL)
	if err != nil {
		return nil, err
	}
	r := &rtspGoReader{c: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: rtspTCP(), TLSConfig: tlsCfg}}
	if err := r.c.Start(); err != nil {
		return nil, err
	}
	desc, _, err := r.c.Describe(u)
	if err != nil {
		r.c.Close()
		return nil, err
	}
	r.desc = desc
	if err := r.c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		r.c.Close()
		return nil, err
	}
	r.c.OnPacketRTPAny(func(*description.Media, format.Format, *rtp.Packet) { r.packets.Add(1) })
	if _, err := r.c.Play(nil); err != nil {
		r.c.Close()
		return nil, err
	}
	return r, nil
}

// Close disconnects the reader.
func (r *rtspGoReader) Close() { r.c.Close() }

// rtspDescribe is one RTSP login: connect, DESCRIBE (answered 401, then
// sent again with the URL's credentials), disconnect.
func rtspDescribe(rtspURL string) error {
	u, err := base.ParseURL(rtspURL)
	if err != nil {
		return err
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: rtspTCP()}
	if err := c.Start(); err != nil {
		return err
	}
	defer c.Close()
	_, _, err = c.Describe(u)
	return err
}

// rtspRawAnswer is an RTSP response as read off the socket.
type rtspRawAnswer struct {
	status string // the status line
	header textproto.MIMEHeader
	body   string
	closed bool // the server closed the connection after answering
}

// String shows everything a client could tell answers apart by.
func (a rtspRawAnswer) String() string {
	return fmt.Sprintf("%s %v body=%q closed=%v", a.status, a.header, a.body, a.closed)
}

// rtspRaw sends one hand-written RTSP request on a new connection and
// reads the response and whether the server then closed the connection.
func rtspRaw(t testing.TB, addr, method, path string, header ...string) rtspRawAnswer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := fmt.Sprintf("%s rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: streamgate-e2e\r\n", method, addr, path)
	for _, h := range header {
		req += h + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	tp := textproto.NewReader(bufio.NewReader(conn))
	status, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("%s %s: read status: %v", method, path, err)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("%s %s: read header: %v", method, path, err)
	}
	a := rtspRawAnswer{status: status, header: hdr}
	if n := hdr.Get("Content-Length"); n != "" {
		var size int
		if _, err := fmt.Sscan(n, &size); err != nil || size > 1<<20 {
			t.Fatalf("%s %s: Content-Length %q", method, path, n)
		}
		body := make([]byte, size)
		if _, err := tp.R.Read(body); err != nil && size > 0 {
			t.Fatalf("%s %s: read body: %v", method, path, err)
		}
		a.body = string(body)
	}
	// Closed: the next read ends at once with EOF; open: it times out.
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var one [1]byte
	_, err = tp.R.Read(one[:])
	var ne net.Error
	a.closed = err != nil && !(errors.As(err, &ne) && ne.Timeout())
	return a
}

// rtspStatusCode is the code of an RTSP status line ("RTSP/1.0 401 …" → 401).
func rtspStatusCode(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}
