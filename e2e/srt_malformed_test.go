package e2e_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// srtHandshake is one SRT handshake datagram: the 16-byte header (control
// bit set, type HANDSHAKE 0x0000, destination socket 0) and the 48-byte
// handshake CIF (version, encryption field 0, extension field, initial
// sequence number, MTU 1500, flow window 8192, handshake type, socket id,
// SYN cookie 0, peer IP 127.0.0.1), followed by ext as the extension area.
func srtHandshake(version uint32, extField uint16, hsType, socketID uint32, ext []byte) []byte {
	b := make([]byte, 16+48, 16+48+len(ext))
	binary.BigEndian.PutUint16(b[0:], 0x8000) // control packet, HANDSHAKE
	cif := b[16:]
	binary.BigEndian.PutUint32(cif[0:], version)
	binary.BigEndian.PutUint16(cif[6:], extField)
	binary.BigEndian.PutUint32(cif[8:], 12345)
	binary.BigEndian.PutUint32(cif[12:], 1500)
	binary.BigEndian.PutUint32(cif[16:], 8192)
	binary.BigEndian.PutUint32(cif[20:], hsType)
	binary.BigEndian.PutUint32(cif[24:], socketID)
	copy(cif[32:], []byte{127, 0, 0, 1})
	return append(b, ext...)
}

const (
	srtHSInduction  = 0x00000001
	srtHSConclusion = 0xFFFFFFFF
	// HSREQ | KMREQ | CONFIG: the flags libsrt's callers set in a conclusion.
	srtExtFlags = 0x0001 | 0x0002 | 0x0004
)

// Issue 12, defect 1: one unauthenticated datagram — an HSv5 CONCLUSION
// handshake with extension flags set and a 2-byte extension area (shorter
// than one extension's 4-byte type+length) — made gosrt's handshake parser
// index past the end of the packet, and the panic took the whole daemon
// down. Now the listener drops it (and its truncated siblings): after each,
// an INDUCTION handshake from the same socket still gets its answer (so the
// bad one was processed before it), the process is alive, /health answers
// 200, streamgate_panics_total{component="srt"} is exported (at 0: the
// parser refuses them, nothing panicked), and an ffmpeg SRT publisher
// still publishes.
func TestSRTMalformedHandshakeDoesNotKillDaemon(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, fmt.Sprintf(`
srt: yes
metrics: yes
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish}]}
- {user: %s, pass: %s, permissions: [{action: api}, {action: metrics}]}
paths:
  cam: {}
`, srtPubUser, srtPubPass, srtAdminUser, srtAdminPass), testharness.WithMetricsAuth(srtAdminUser, srtAdminPass))

	srv, err := net.ResolveUDPAddr("udp", d.Addr("srt"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, b := range []struct {
		name string
		ext  []byte
	}{
		{"2-byte extension area (the issue's datagram)", []byte{0x00, 0x01}},
		{"1-byte extension area", []byte{0x00}},
		{"3-byte extension area", []byte{0x00, 0x01, 0x00}},
		{"HSREQ then 2 bytes", append(srtHSReqExt(), 0x00, 0x05)},
		{"HSREQ then 3 bytes", append(srtHSReqExt(), 0x00, 0x05, 0x00)},
	} {
		name, ext := b.name, b.ext
		if _, err := c.Write(srtHandshake(5, srtExtFlags, srtHSConclusion, 0x1234, ext)); err != nil {
			t.Fatalf("%s: send: %v", name, err)
		}
		// The listener handles handshakes one after the other: the answer to
		// this induction means the bad datagram has been through the parser.
		if _, err := c.Write(srtHandshake(4, 2, srtHSInduction, 0x5678, nil)); err != nil {
			t.Fatalf("%s: send induction: %v", name, err)
		}
		if !srtReadInductionAnswer(t, c, 5*time.Second) {
			select {
			case <-d.Exited():
				t.Fatalf("%s: streamgate exited:\n%s", name, d.Logs())
			default:
			}
			t.Fatalf("%s: no answer to an INDUCTION handshake sent after it", name)
		}
	}

	select {
	case <-d.Exited():
		t.Fatalf("streamgate exited:\n%s", d.Logs())
	default:
	}
	if a := get(t, d.URL("api", "/health")); a.status != http.StatusOK {
		t.Fatalf("/health: %d %s", a.status, a.body)
	}
	// The patched parser refuses these datagrams without panicking; the
	// panic counter is there, at 0.
	if fams := d.MetricFamilies(t); fams["streamgate_panics_total"] == nil {
		t.Error("streamgate_panics_total is not exported")
	} else if n := testharness.MetricValue(fams, "streamgate_panics_total", map[string]string{"component": "srt"}); n != 0 {
		t.Errorf("streamgate_panics_total{component=srt} = %v, want 0", n)
	}
	pub := srtFFmpegPublish(t, srtURL(d, srtID("publish", "cam", srtPubUser, srtPubPass)), 20)
	srtWaitPath(t, d, "cam", true, 15*time.Second)
	pub.stop(t)
}

// srtHSReqExt is a well-formed HSREQ extension (type 1, 3 words): SRT
// 1.5.0 with TSBPDSND, TSBPDRCV, TLPKTDROP, PERIODICNAK and REXMITFLG.
func srtHSReqExt() []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], 3)
	binary.BigEndian.PutUint32(b[4:], 0x010500)
	binary.BigEndian.PutUint32(b[8:], 0x01|0x02|0x08|0x10|0x20)
	binary.BigEndian.PutUint32(b[12:], 120<<16|120)
	return b
}

// srtReadInductionAnswer reads datagrams from c until one is a handshake
// of type INDUCTION (the listener's answer), or timeout passes.
func srtReadInductionAnswer(t *testing.T, c *net.UDPConn, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for {
		if err := c.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil {
			return false
		}
		if n >= 16+48 && binary.BigEndian.Uint16(buf[0:]) == 0x8000 &&
			binary.BigEndian.Uint32(buf[16+20:]) == srtHSInduction {
			return true
		}
	}
}
