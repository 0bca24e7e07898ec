package rtmp

import (
	"testing"

	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/protocols/stream"
)

// recordConn keeps what an output writes.
type recordConn struct{ msgs []message.Message }

func (c *recordConn) BytesReceived() uint64           { return 0 }
func (c *recordConn) BytesSent() uint64               { return 0 }
func (c *recordConn) Read() (message.Message, error)  { select {} }
func (c *recordConn) Write(msg message.Message) error { c.msgs = append(c.msgs, msg); return nil }
func (c *recordConn) frames() (n int) {
	for _, m := range c.msgs {
		if _, ok := m.(*message.VideoExFramesX); ok {
			n++
		}
	}
	return n
}

// An AV1 or VP9 reader starts at a keyframe (an AV1 temporal unit with its
// sequence header, a VP9 key frame), then gets every frame as enhanced
// RTMP; after a drop it waits for the next keyframe again.
func TestOutputFrameCodecsStartAtKeyframe(t *testing.T) {
	vp9Key := []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6} // profile 0, key frame, 320x240
	vp9Inter := []byte{0x86, 0x00}                                         // profile 0, inter frame
	seqHeader := []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01}
	frame := []byte{0x32, 0x01, 0x00} // OBU_FRAME
	for _, c := range []struct {
		name       string
		f          format.Format
		key, inter [][]byte
	}{
		{"av1", &format.AV1{PayloadTyp: 96}, [][]byte{seqHeader, frame}, [][]byte{frame}},
		{"vp9", &format.VP9{PayloadTyp: 96}, [][]byte{vp9Key}, [][]byte{vp9Inter}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{c.f}}
			conn := &recordConn{}
			o := newOutput(&description.Session{Medias: []*description.Media{m}}, conn)
			if o == nil || o.video != c.f {
				t.Fatalf("newOutput took no %s track", c.name)
			}
			write := func(pts int64, au [][]byte) {
				t.Helper()
				if err := o.write(&stream.Unit{Media: m, Format: c.f, PTS: pts, AU: au}); err != nil {
					t.Fatal(err)
				}
			}
			write(0, c.inter)
			if len(conn.msgs) != 0 {
				t.Fatalf("an inter frame before any keyframe wrote %d messages", len(conn.msgs))
			}
			write(3000, c.key)
			write(6000, c.inter)
			if !o.started || conn.frames() != 2 {
				t.Fatalf("after a keyframe and an inter frame: started %v, %d frames written, want 2", o.started, conn.frames())
			}
			o.resync()
			write(9000, c.inter)
			write(12000, c.key)
			if conn.frames() != 3 {
				t.Errorf("after a drop: %d frames written, want 3 (the inter frame before the next keyframe skipped)", conn.frames())
			}
		})
	}
}

// The temporal delimiter an enhanced RTMP AV1 frame starts with is not part
// of the hub's temporal unit.
func TestWithoutTemporalDelimiters(t *testing.T) {
	td := []byte{0x12, 0x00}
	got := withoutTemporalDelimiters([][]byte{td, {0x0a, 0x01}, {}, {0x32, 0x00}})
	if len(got) != 2 || got[0][0] != 0x0a || got[1][0] != 0x32 {
		t.Errorf("got %x, want the sequence header and the frame only", got)
	}
}

// An AV1 unit gortmplib's writer cannot carry (an OBU with an extension
// header, as scalable streams from WHIP or RTSP publishers have, or with
// the forbidden bit, or empty) is skipped up to the next keyframe; it used
// to end the reader's connection ("extension flag is not supported yet").
func TestOutputAV1SkipsUnitsItCannotCarry(t *testing.T) {
	seqHeader := []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01}
	frame := []byte{0x32, 0x01, 0x00}
	f := &format.AV1{PayloadTyp: 96}
	m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
	conn := &recordConn{}
	o := newOutput(&description.Session{Medias: []*description.Media{m}}, conn)
	for i, au := range [][][]byte{
		{seqHeader, frame},
		{{0x36, 0x28, 0x02, 0x00}}, // OBU_FRAME with an extension header (temporal layer 1)
		{frame},                    // not a keyframe: skipped too
		{{0xb2, 0x00}},             // forbidden bit
		{{}},
		{seqHeader, frame},
		{frame},
	} {
		if err := o.write(&stream.Unit{Media: m, Format: f, PTS: int64(i) * 3000, AU: au}); err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
	}
	if n := conn.frames(); n != 3 {
		t.Errorf("%d frames written, want 3 (two keyframes and the frame after the second)", n)
	}
}
