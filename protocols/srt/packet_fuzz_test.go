package srt

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/datarhei/gosrt/packet"
)

// What an unauthenticated peer reaches in gosrt (third_party/gosrt): every
// datagram goes through packet.NewPacketFromData in the listener's read
// goroutine, a handshake's CIF through CIFHandshake.Unmarshal when the
// listener accepts (before any streamid is looked at), and a connected
// peer's control packets through the other CIFs' Unmarshal.

var fuzzAddr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}

// handshakeDatagram is an SRT handshake: the 16-byte header (control bit,
// type HANDSHAKE, destination socket 0), the 48-byte CIF (version,
// encryption field 0, extension field, handshake type) and ext as the
// extension area.
func handshakeDatagram(version uint32, extField uint16, hsType uint32, ext []byte) []byte {
	b := make([]byte, 64, 64+len(ext))
	binary.BigEndian.PutUint16(b[0:], 0x8000)
	binary.BigEndian.PutUint32(b[16:], version)
	binary.BigEndian.PutUint16(b[22:], extField)
	binary.BigEndian.PutUint32(b[28:], 1500)
	binary.BigEndian.PutUint32(b[32:], 8192)
	binary.BigEndian.PutUint32(b[36:], hsType)
	return append(b, ext...)
}

// extension is one handshake extension: type, length in 4-byte words, body
// (padded to whole words).
func extension(typ uint16, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)/4))
	return append(b, body...)
}

// streamIDExt is a stream id extension holding s (bytes of each word
// reversed, as on the wire).
func streamIDExt(s string) []byte {
	b := []byte(s)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return extension(5, b)
}

var hsReqExt = extension(1, []byte{0, 1, 5, 0, 0, 0, 0, 0x3b, 0, 120, 0, 120})

const hsConclusion = 0xFFFFFFFF

// unmarshalAll parses data the way gosrt does for whatever it is, and
// returns the handshake when it is one that parsed.
func unmarshalAll(data []byte) (*packet.CIFHandshake, error) {
	p, err := packet.NewPacketFromData(fuzzAddr, data)
	if err != nil {
		return nil, err
	}
	defer p.Decommission()
	h := p.Header()
	if !h.IsControlPacket {
		return nil, nil
	}
	// Every CIF a control packet can carry, whatever its type says: the
	// parsers must hold up against any payload.
	for _, c := range []packet.CIF{&packet.CIFACK{}, &packet.CIFNAK{}, &packet.CIFShutdown{},
		&packet.CIFHandshakeExtension{}, &packet.CIFKeyMaterialExtension{}} {
		_ = p.UnmarshalCIF(c)
	}
	hs := &packet.CIFHandshake{}
	if err := p.UnmarshalCIF(hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// Issue 12, defect 1: a CONCLUSION handshake whose extension area is cut
// short (shorter than one extension's type and length, or an extension's
// body) is an error, never a panic; well-formed ones still parse.
func TestSRTHandshakeExtensionBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"2-byte extension area (the issue's datagram)", handshakeDatagram(5, 7, hsConclusion, []byte{0, 1}), false},
		{"1-byte extension area", handshakeDatagram(5, 7, hsConclusion, []byte{0}), false},
		{"3-byte extension area", handshakeDatagram(5, 7, hsConclusion, []byte{0, 1, 0}), false},
		{"HSREQ then 2 bytes", handshakeDatagram(5, 7, hsConclusion, append(bytes.Clone(hsReqExt), 0, 5)), false},
		{"HSREQ then 3 bytes", handshakeDatagram(5, 7, hsConclusion, append(bytes.Clone(hsReqExt), 0, 5, 0)), false},
		{"HSREQ body cut", handshakeDatagram(5, 7, hsConclusion, hsReqExt[:10]), false},
		{"stream id longer than the packet", handshakeDatagram(5, 7, hsConclusion, append(bytes.Clone(hsReqExt), 0, 5, 0, 100, 'a')), false},
		{"KM error code followed by another extension", handshakeDatagram(5, 7, hsConclusion,
			append(append(bytes.Clone(hsReqExt), extension(3, []byte{3, 0, 0, 0})...), streamIDExt("x")...)), false},
		{"HSREQ and stream id", handshakeDatagram(5, 5, hsConclusion, append(bytes.Clone(hsReqExt), streamIDExt("publish:cam:u:p")...)), true},
		{"HSREQ only", handshakeDatagram(5, 1, hsConclusion, hsReqExt), true},
		{"no extension area", handshakeDatagram(5, 7, hsConclusion, nil), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs, err := unmarshalAll(c.data)
			if (err == nil) != c.ok {
				t.Fatalf("error %v, want ok %v", err, c.ok)
			}
			if c.ok && bytes.Contains(c.data, streamIDExt("publish:cam:u:p")) && hs.StreamId != "publish:cam:u:p" {
				t.Errorf("stream id %q", hs.StreamId)
			}
		})
	}
}

// FuzzSRTPacket: no datagram makes gosrt's packet or CIF parsers panic, and
// a handshake that parses has a stream id no longer than the 512 bytes
// the extension allows. Seeds: the datagram and well-formed
// handshakes here, more in testdata/fuzz/FuzzSRTPacket.
func FuzzSRTPacket(f *testing.F) {
	f.Add(handshakeDatagram(5, 7, hsConclusion, []byte{0, 1}))
	f.Add(handshakeDatagram(5, 5, hsConclusion, append(bytes.Clone(hsReqExt), streamIDExt("publish:cam:u:p")...)))
	f.Add(handshakeDatagram(4, 2, 1, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := unmarshalAll(data)
		if err == nil && hs != nil && len(hs.StreamId) > 512 {
			t.Fatalf("stream id of %d bytes", len(hs.StreamId))
		}
	})
}

// FuzzSRTHandshakeExtensions drives the extension loop directly: data is
// the extension area of an HSv5 CONCLUSION handshake with every extension
// flag set.
func FuzzSRTHandshakeExtensions(f *testing.F) {
	f.Add([]byte{0, 1})
	f.Add(append(bytes.Clone(hsReqExt), streamIDExt("read:cam:u:p")...))
	f.Add(append(bytes.Clone(hsReqExt), extension(3, []byte{3, 0, 0, 0})...))
	f.Fuzz(func(t *testing.T, ext []byte) {
		_, _ = unmarshalAll(handshakeDatagram(5, 7, hsConclusion, ext))
	})
}
