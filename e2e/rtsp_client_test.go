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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/internal/testharness"
)

// An SPS and PPS of a 320x240 H.264 stream (from x264), and a tiny IDR slice.
var (
	rtspTestSPS = testharness.H264SPS()
	rtspTestPPS = testharness.H264PPS()
	rtspTestIDR = testharness.H264IDR()
)

func rtspTCP() *gortsplib.Protocol {
	p := gortsplib.ProtocolTCP
	return &p
}

// rtspGoPublish publishes one H.264 track to rtspURL over TCP with a Go
// client that sends an access unit every 100 ms until the test ends.
func rtspGoPublish(t testing.TB, rtspURL string) {
	t.Helper()
	idr := [][]byte{rtspTestIDR}
	if _, err := startRTSPGoFeed(t, rtspURL, rtspTestSPS, rtspTestPPS, 10, func(int) [][]byte { return idr }, nil); err != nil {
		t.Fatalf("Go publisher on %s: %v", rtspURL, err)
	}
}

// rtspAnnounce starts an RTSP publication of one H.264 track (the test SPS
// and PPS) to rtspURL over TCP with a Go client that sends nothing; the
// error is the server's refusal, if any.
func rtspAnnounce(rtspURL string) (*gortsplib.Client, error) {
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: rtspTestSPS, PPS: rtspTestPPS}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	c := &gortsplib.Client{Protocol: rtspTCP()}
	if err := c.StartRecording(rtspURL, desc); err != nil {
		return nil, err
	}
	return c, nil
}

// rtspTryPublishURL announces to rtspURL (rtspAnnounce) and stops at once;
// the error is the server's refusal, if any.
func rtspTryPublishURL(rtspURL string) error {
	c, err := rtspAnnounce(rtspURL)
	if err == nil {
		c.Close()
	}
	return err
}

// rtspTryPublish is rtspTryPublishURL as user to path of d.
func rtspTryPublish(d *testharness.Daemon, user, pass, path string) error {
	return rtspTryPublishURL(rtspURL(d, user, pass, path))
}

// wantRTSPPublish checks that rtspTryPublish as user to path of d is
// accepted (accept) or refused; why says what the answer follows from.
func wantRTSPPublish(t testing.TB, d *testharness.Daemon, user, pass, path string, accept bool, why string) {
	t.Helper()
	switch err := rtspTryPublish(d, user, pass, path); {
	case accept && err != nil:
		t.Errorf("RTSP publish as %s to %s refused (%v), want accepted: %s", user, path, err, why)
	case !accept && err == nil:
		t.Errorf("RTSP publish as %s to %s accepted, want refused: %s", user, path, why)
	}
}

// rtspGoFeed is a Go client publishing one H.264 track over TCP.
type rtspGoFeed struct {
	c          *gortsplib.Client
	stop, done chan struct{}
	stopOnce   sync.Once
	err        atomic.Value // string: what ended the feed early
}

// startRTSPGoFeed starts a Go client publishing one H.264 track (sps, pps)
// to rtspURL over TCP: access unit i is frame(i), written fps times a
// second with RTP timestamp i×90000/fps, until frame returns nil or the
// feed is stopped (at the latest when the test ends). onWrite, when not
// nil, sees each access unit's index and RTP packets just before they are
// written.
func startRTSPGoFeed(tb testing.TB, rtspURL string, sps, pps []byte, fps int,
	frame func(i int) [][]byte, onWrite func(i int, pkts []*rtp.Packet)) (*rtspGoFeed, error) {
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	enc, err := forma.CreateEncoder()
	if err != nil {
		return nil, err
	}
	f := &rtspGoFeed{c: &gortsplib.Client{Protocol: rtspTCP()}, stop: make(chan struct{}), done: make(chan struct{})}
	if err := f.c.StartRecording(rtspURL, desc); err != nil {
		return nil, err
	}
	go func() {
		defer close(f.done)
		tick := time.NewTicker(time.Second / time.Duration(fps))
		defer tick.Stop()
		for i := 0; ; i++ {
			au := frame(i)
			if au == nil {
				return
			}
			pkts, err := enc.Encode(au)
			if err != nil {
				f.err.Store(err.Error())
				return
			}
			if onWrite != nil {
				onWrite(i, pkts)
			}
			for _, p := range pkts {
				p.Timestamp = uint32(i * 90000 / fps)
				if err := f.c.WritePacketRTP(desc.Medias[0], p); err != nil {
					f.err.Store(err.Error())
					return
				}
			}
			select {
			case <-f.stop:
				return
			case <-tick.C:
			}
		}
	}()
	tb.Cleanup(f.Stop)
	return f, nil
}

// Stop ends the feed and closes its client (again: no-op).
func (f *rtspGoFeed) Stop() {
	f.stopOnce.Do(func() {
		close(f.stop)
		<-f.done
		f.c.Close()
	})
}

// Err is what ended the feed early, "" if nothing did.
func (f *rtspGoFeed) Err() string {
	e, _ := f.err.Load().(string)
	return e
}

// rtspReadersPackets is how many RTP packets the readers received so far,
// and how many of them received none.
func rtspReadersPackets(rs []*rtspGoReader) (packets int64, starved int) {
	for _, r := range rs {
		n := r.packets.Load()
		packets += n
		if n == 0 {
			starved++
		}
	}
	return packets, starved
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
func rtspDescribe(rtspURL string) error { return rtspDescribeTLS(rtspURL, nil) }

// rtspDescribeTLS is rtspDescribe over TLS with tlsCfg (an rtsps:// URL).
func rtspDescribeTLS(rtspURL string, tlsCfg *tls.Config) error {
	u, err := base.ParseURL(rtspURL)
	if err != nil {
		return err
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: rtspTCP(), TLSConfig: tlsCfg}
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
	return rtspRawBody(t, addr, method, path, "", header...)
}

// rtspRawBody is rtspRaw with a request body (with its Content-Length).
func rtspRawBody(t testing.TB, addr, method, path, body string, header ...string) rtspRawAnswer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := fmt.Sprintf("%s rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: streamgate-e2e\r\n", method, addr, path)
	if body != "" {
		req += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	for _, h := range header {
		req += h + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n" + body)); err != nil {
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
