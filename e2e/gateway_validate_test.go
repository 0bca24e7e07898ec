package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// richVideoFrame is a VideoFrame with objects (one the child of another),
// attributes and transformations: everything a Savant module sends on.
func richVideoFrame(source string, seq uint64) *pb.Message {
	m := videoFrame(source, seq)
	vf := m.GetVideoFrame()
	parent := int64(1)
	box := func() *pb.BoundingBox { return &pb.BoundingBox{Xc: 50, Yc: 40, Width: 20, Height: 10} }
	score := func(v float64) *pb.Attribute {
		return &pb.Attribute{Namespace: "det", Name: "score", IsPersistent: true,
			Values: []*pb.AttributeValue{{Value: &pb.AttributeValue_Float{Float: &pb.FloatValue{Data: v}}}}}
	}
	vf.Attributes = []*pb.Attribute{score(0.5)}
	vf.Objects = []*pb.VideoObject{
		{Id: 1, Namespace: "det", Label: "car", DetectionBox: box(), Attributes: []*pb.Attribute{score(0.9)}},
		{Id: 2, ParentId: &parent, Namespace: "det", Label: "plate", DetectionBox: box()},
	}
	vf.Transformations = append(vf.Transformations, &pb.VideoFrameTransformation{
		Transformation: &pb.VideoFrameTransformation_Scale{Scale: &pb.Scale{Width: 640, Height: 360}}})
	return m
}

// rawMedia is a Media body around message bytes as given (they need not
// decode).
func rawMedia(message []byte, topic string) []byte {
	b := appendField(nil, 1, message)
	return appendField(b, 2, []byte(topic))
}

// withFrameField is a VideoFrame message with raw bytes appended to the
// frame as field num (attributes 24, objects 25, transformations 23).
func withFrameField(t *testing.T, num protowire.Number, raw []byte) []byte {
	t.Helper()
	f, err := proto.Marshal(videoFrame("cam1", 1).GetVideoFrame())
	if err != nil {
		t.Fatal(err)
	}
	f = appendField(f, num, raw)
	return appendField(nil, 5, f)
}

// The gateway forwards only what a savant-rs reader accepts: each message
// savant-core's Message::try_from refuses is answered 400 and nothing
// reaches the socket; valid messages of every kind are forwarded byte for
// byte.
func TestGatewayValidatesAsSavantCore(t *testing.T) {
	t.Parallel()
	gw, r := startPubGateway(t, "validate")
	first := composeMedia(t, richVideoFrame("cam1", 1), "cam1", annexB())
	got := primePub(t, gw, r, first, producer)
	wantForwarded(t, "rich VideoFrame", got, first)
	n := len(r.Messages())

	frame := func(change func(vf *pb.VideoFrame)) []byte {
		m := richVideoFrame("cam1", 2)
		change(m.GetVideoFrame())
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return rawMedia(b, "cam1")
	}
	msg := func(m *pb.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return rawMedia(b, "cam1")
	}
	notUTF8 := appendField(nil, 2, []byte{0xff, 0xfe})
	bad := "not-a-uuid"
	for name, body := range map[string][]byte{
		"uuid not a UUID":              frame(func(vf *pb.VideoFrame) { vf.Uuid = "frame-1" }),
		"previous_keyframe not a UUID": frame(func(vf *pb.VideoFrame) { vf.PreviousKeyframe = &bad }),
		"no content":                   frame(func(vf *pb.VideoFrame) { vf.Content = nil }),
		"unknown transcoding_method":   frame(func(vf *pb.VideoFrame) { vf.TranscodingMethod = 5 }),
		"transformation with nothing":  frame(func(vf *pb.VideoFrame) { vf.Transformations[0].Transformation = nil }),
		"object without detection_box": frame(func(vf *pb.VideoFrame) { vf.Objects[0].DetectionBox = nil }),
		"parent_id names no object":    frame(func(vf *pb.VideoFrame) { vf.Objects = vf.Objects[1:] }),
		"attribute value with nothing": frame(func(vf *pb.VideoFrame) { vf.Attributes[0].Values[0].Value = nil }),
		"attribute bytes undecodable":  rawMedia(withFrameField(t, 24, []byte{0x1a, 0x09, 0x00}), "cam1"),
		"attribute name not UTF-8":     rawMedia(withFrameField(t, 24, notUTF8), "cam1"),
		"object bytes undecodable":     rawMedia(withFrameField(t, 25, []byte{0x0a, 0x05, 0x01}), "cam1"),
		"transformation undecodable":   rawMedia(withFrameField(t, 23, []byte{0x0a, 0x09}), "cam1"),
		"batch with a bad frame": msg(&pb.Message{Content: &pb.Message_VideoFrameBatch{VideoFrameBatch: &pb.VideoFrameBatch{
			Batch: map[int64]*pb.VideoFrame{1: {Uuid: "x", Content: &pb.VideoFrame_None{None: &pb.NoneFrame{}}}}}}}),
		"update object without box": msg(&pb.Message{Content: &pb.Message_VideoFrameUpdate{VideoFrameUpdate: &pb.VideoFrameUpdate{
			Objects: []*pb.VideoObjectWithForeignParent{{Object: &pb.VideoObject{Id: 3}}}}}}),
		"user data undecodable": rawMedia(appendField(nil, 8, appendField(nil, 2, []byte{0x2a, 0x7f})), "cam1"),
	} {
		a := postMedia(t, gw, body, producer)
		wantStatus(t, name, a, http.StatusBadRequest)
		if !strings.Contains(a.body, "savant: bad Media body") {
			t.Errorf("%s: 400 says %q, want what is wrong", name, a.body)
		}
	}

	// Valid messages of every kind, then an EndOfStream: exactly these
	// arrive after the refusals (nothing refused reached the socket).
	tag := "ok"
	update := &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrameUpdate{VideoFrameUpdate: &pb.VideoFrameUpdate{
		FrameAttributes: []*pb.Attribute{{Namespace: "n", Name: "a", Hint: &tag,
			Values: []*pb.AttributeValue{{Value: &pb.AttributeValue_StringVector{StringVector: &pb.StringVectorValue{Data: []string{"x"}}}}}}},
		Objects:      []*pb.VideoObjectWithForeignParent{{Object: &pb.VideoObject{Id: 3, DetectionBox: &pb.BoundingBox{Width: 1, Height: 1}}}},
		ObjectPolicy: pb.ObjectUpdatePolicy_ERROR_IF_LABELS_COLLIDE}}}
	batch := &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrameBatch{VideoFrameBatch: &pb.VideoFrameBatch{
		Batch: map[int64]*pb.VideoFrame{7: richVideoFrame("cam1", 3).GetVideoFrame()}}}}
	userData := &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_UserData{UserData: &pb.UserData{SourceId: "cam1",
		Attributes: []*pb.Attribute{{Namespace: "u", Name: "k", IsPersistent: true,
			Values: []*pb.AttributeValue{{Value: &pb.AttributeValue_Boolean{Boolean: &pb.BooleanValue{Data: true}}}}}}}}}
	sent := []mediaBody{
		composeMedia(t, richVideoFrame("cam1", 4), "cam1", annexB()),
		composeMedia(t, batch, "cam1"),
		composeMedia(t, update, "cam1"),
		composeMedia(t, userData, "cam1"),
		composeMedia(t, endOfStream("cam1", 5), "cam1"),
	}
	for i, mb := range sent {
		wantStatus(t, fmt.Sprintf("valid message %d", i), postMedia(t, gw, mb.body, producer), http.StatusOK)
	}
	msgs := r.Wait(n+len(sent), 5*time.Second)
	if len(msgs) != n+len(sent) {
		t.Fatalf("the reader got %d messages after the refusals, want exactly the %d valid ones", len(msgs)-n, len(sent))
	}
	for i, mb := range sent {
		wantForwarded(t, fmt.Sprintf("valid message %d", i), msgs[n+i], mb)
	}
}
