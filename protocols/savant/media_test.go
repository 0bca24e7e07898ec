package savant_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

func mediaBody(t testing.TB, m *pb.Message, topic []byte, data ...[]byte) (body, msg []byte) {
	det := proto.MarshalOptions{Deterministic: true} // maps (batches) in one order both times
	msg, err := det.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	body, err = det.Marshal(&pb.Media{Message: m, Topic: topic, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return body, msg
}

func TestParseMedia(t *testing.T) {
	eos := &pb.Message{ProtocolVersion: "1.15.1", RoutingLabels: []string{"a"}, Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: "cam"}}}
	body, msg := mediaBody(t, eos, []byte("cam"), []byte("x"), []byte("y"))
	m, err := savant.ParseMedia(body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Message, msg) || string(m.Topic) != "cam" || len(m.Data) != 2 || !m.IsEndOfStream() || m.IsShutdown() {
		t.Fatalf("parsed %+v", m)
	}
	shutdown := &pb.Message{Content: &pb.Message_Shutdown{Shutdown: &pb.Shutdown{Auth: "x"}}}
	body, _ = mediaBody(t, shutdown, []byte("cam"))
	if m, err := savant.ParseMedia(body); err != nil || !m.IsShutdown() {
		t.Fatalf("shutdown: %v", err)
	}
	bad := map[string][]byte{
		"empty":           nil,
		"no content":      must(mediaBody(t, &pb.Message{ProtocolVersion: "1"}, []byte("cam"))),
		"topic not utf-8": must(mediaBody(t, eos, []byte{0xff, 0xfe})),
		"garbage":         []byte("\xff\xff\xff"),
		"message twice":   append(must(mediaBody(t, eos, nil)), must(mediaBody(t, eos, nil))...),
		"no message":      must(proto.Marshal(&pb.Media{Topic: []byte("cam")})),
	}
	for name, b := range bad {
		if _, err := savant.ParseMedia(b); !errors.Is(err, savant.ErrBadMedia) {
			t.Errorf("%s: %v, want ErrBadMedia", name, err)
		}
	}
}

func must(b []byte, _ ...any) []byte { return b }

func TestSourceSeqAndFrames(t *testing.T) {
	s := &savant.Source{ID: "cam", Labels: []string{"l"}, ProtocolVersion: "1.15.1"}
	for want := uint64(1); want <= 3; want++ {
		out, err := s.VideoFrame(savant.Frame{Codec: "h264", Keyframe: want == 1, PTS: int64(want) * 1e9 / 30, Width: 640, Height: 480, Data: []byte{0, 0, 0, 1, 0x65}})
		if err != nil {
			t.Fatal(err)
		}
		var m pb.Message
		if err := proto.Unmarshal(out.Message, &m); err != nil {
			t.Fatal(err)
		}
		vf := m.GetVideoFrame()
		if m.SeqId != want || vf.GetCodec() != "h264" || vf.Width != 640 || vf.TimeBaseDenominator != savant.TimeBase ||
			vf.GetExternal().GetMethod() != "zeromq" || vf.Transformations[0].GetInitialSize().GetWidth() != 640 || string(out.Topic) != "cam" {
			t.Fatalf("frame %d: %v", want, &m)
		}
	}
	var m pb.Message
	eos := s.EndOfStream()
	if err := proto.Unmarshal(eos.Message, &m); err != nil || m.SeqId != 4 || m.GetEndOfStream().GetSourceId() != "cam" || !eos.EndOfStream {
		t.Fatalf("eos: %v %v", &m, err)
	}
	out, _ := s.VideoFrame(savant.Frame{Codec: "h264", Width: 1, Height: 1})
	_ = proto.Unmarshal(out.Message, &m)
	if m.SeqId != 1 {
		t.Fatalf("seq after EndOfStream = %d, want 1", m.SeqId)
	}
	if _, err := s.VideoFrame(savant.Frame{Codec: "h264"}); err == nil {
		t.Fatal("accepted a frame without a size")
	}
}

func FuzzParseMedia(f *testing.F) {
	eos := &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: "cam"}}}
	body, _ := mediaBody(f, eos, []byte("cam"), []byte("frame"))
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := savant.ParseMedia(body)
		if err != nil {
			return
		}
		// What is forwarded decodes to what was checked.
		var again pb.Message
		if proto.Unmarshal(m.Message, &again) != nil || again.Content == nil {
			t.Fatal("accepted a message that does not decode with content")
		}
	})
}
