package rtmp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
)

// recordedMedia is what a recorded client (e2e/testdata/netfuzz) sent
// after its publish command, up to about limit bytes, re-written by
// gortmplib's writer (after the chunk size the client had set).
func recordedMedia(t *testing.T, name string, limit int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "e2e", "testdata", "netfuzz", name+".nfz"))
	if err != nil {
		t.Fatal(err)
	}
	var in []byte
	for b = b[4:]; len(b) >= 4; {
		n := binary.BigEndian.Uint32(b)
		in, b = append(in, b[4:4+n]...), b[4+n:]
	}
	in = in[1+2*handshakeC1Size:]
	r := bytes.NewReader(in)
	mr := message.NewReader(r, bytecounter.NewReader(r), func(uint32) error { return nil })
	var raws []*rawmessage.Message
	published, size := false, 0
	for size < limit {
		m, err := mr.Read()
		if err != nil {
			break
		}
		switch m := m.(type) {
		case *message.SetChunkSize:
			if !published {
				raws = append(raws, rawOf(t, m))
			}
		case *message.CommandAMF0:
			published = published || m.Name == "publish"
		}
		if published {
			raw := rawOf(t, m)
			raws, size = append(raws, raw), size+len(raw.Body)
		}
	}
	if !published {
		t.Fatalf("%s: no publish command", name)
	}
	return clientBytes(t, raws...)
}

// The seeds of FuzzRTMPPublished: media ffmpeg and GStreamer sent, and
// enhanced-RTMP AV1 and VP9 as FuzzFrameCodecs builds them; the committed
// files are what this writes (-rtmp.writeseeds).
func TestPublishedSeeds(t *testing.T) {
	av1 := parseFrameCodecInput([]byte{0, 13, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01,
		40, 0, 20, 0x12, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01, 0x32, 0x01, 0x00,
		40, 0, 5, 0x12, 0x00, 0x32, 0x01, 0x00})
	vp9 := parseFrameCodecInput([]byte{3, 0, 40, 0, 9, 0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6, 40, 0, 2, 0x86, 0x00})
	enhanced := func(f frameCodecInput) []byte {
		var raws []*rawmessage.Message
		for _, m := range f.messages() {
			raws = append(raws, rawOf(t, m))
		}
		return clientBytes(t, raws...)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRTMPPublished")
	for name, in := range map[string][]byte{
		"ffmpeg_publish":    recordedMedia(t, "rtmp-ffmpeg-publish", 24<<10),
		"gstreamer_publish": recordedMedia(t, "rtmp-gstreamer-publish", 24<<10),
		"enhanced_av1":      enhanced(av1),
		"enhanced_vp9":      enhanced(vp9),
	} {
		file := filepath.Join(dir, name)
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", in)
		if *writeSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (err %v): run go test ./protocols/rtmp/ -run TestPublishedSeeds -rtmp.writeseeds", file, err)
		}
	}
}
