package savant_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

const frameUUID = "0192e4b5-3b7c-7c3d-8a6e-3b1f4c5d6e7f"

func attr(persistent bool, values ...*pb.AttributeValue) *pb.Attribute {
	return &pb.Attribute{Namespace: "ns", Name: "a", Values: values, IsPersistent: persistent}
}

func intValue(v int64) *pb.AttributeValue {
	return &pb.AttributeValue{Value: &pb.AttributeValue_Integer{Integer: &pb.IntegerValue{Data: v}}}
}

func box() *pb.BoundingBox { return &pb.BoundingBox{Xc: 10, Yc: 10, Width: 4, Height: 4} }

// richFrame is a VideoFrame with everything savant-core converts: objects
// (one a child of another), attributes of every kind of value,
// transformations and a previous keyframe.
func richFrame() *pb.VideoFrame {
	parent := int64(1)
	prev := "0192e4b5-3b7c-7c3d-8a6e-3b1f4c5d6e70"
	tag := "t"
	values := []*pb.AttributeValue{
		intValue(1),
		{Value: &pb.AttributeValue_String_{String_: &pb.StringValue{Data: "s"}}},
		{Value: &pb.AttributeValue_Bytes{Bytes: &pb.BytesValue{Dims: []int64{2}, Data: []byte{1, 2}}}},
		{Value: &pb.AttributeValue_BoundingBox{BoundingBox: &pb.BoundingBoxValue{Data: box()}}},
		{Value: &pb.AttributeValue_Point{Point: &pb.PointValue{Data: &pb.Point{X: 1, Y: 2}}}},
		{Value: &pb.AttributeValue_Polygon{Polygon: &pb.PolygonValue{Data: &pb.PolygonalArea{
			Points: []*pb.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}},
			Tags:   &pb.PolygonalAreaTags{Tags: []*pb.PolygonalAreaTag{{Tag: &tag}, {}, {}}}}}}},
		{Value: &pb.AttributeValue_Intersection{Intersection: &pb.IntersectionValue{Data: &pb.Intersection{Kind: pb.IntersectionKind_CROSS}}}},
		{Value: &pb.AttributeValue_None{None: &pb.NoneValue{}}},
	}
	return &pb.VideoFrame{
		SourceId: "cam", Uuid: frameUUID, PreviousKeyframe: &prev, Framerate: "25/1", Width: 320, Height: 240,
		TranscodingMethod: pb.VideoFrameTranscodingMethod_ENCODED, TimeBaseNumerator: 1, TimeBaseDenominator: 1e9,
		Content: &pb.VideoFrame_Internal{Internal: []byte{0, 0, 0, 1, 0x65}},
		Transformations: []*pb.VideoFrameTransformation{
			{Transformation: &pb.VideoFrameTransformation_InitialSize{InitialSize: &pb.InitialSize{Width: 320, Height: 240}}},
			{Transformation: &pb.VideoFrameTransformation_Padding{Padding: &pb.Padding{PaddingLeft: 2}}},
		},
		Attributes: []*pb.Attribute{attr(true, values...), attr(false, intValue(2))},
		Objects: []*pb.VideoObject{
			{Id: 1, Namespace: "det", Label: "car", DetectionBox: box(), Attributes: []*pb.Attribute{attr(true, intValue(3))}},
			{Id: 2, ParentId: &parent, Namespace: "det", Label: "plate", DetectionBox: box(),
				// Not persistent: savant-core drops it unconverted, so it may be anything.
				Attributes: []*pb.Attribute{attr(false, &pb.AttributeValue{})}},
		},
	}
}

func frameMessage(f *pb.VideoFrame) *pb.Message {
	return &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrame{VideoFrame: f}}
}

func TestValidateAcceptsEveryKind(t *testing.T) {
	for name, m := range map[string]*pb.Message{
		"video frame": frameMessage(richFrame()),
		"batch": {Content: &pb.Message_VideoFrameBatch{VideoFrameBatch: &pb.VideoFrameBatch{
			Batch: map[int64]*pb.VideoFrame{1: richFrame(), 2: richFrame()}}}},
		"update": {Content: &pb.Message_VideoFrameUpdate{VideoFrameUpdate: &pb.VideoFrameUpdate{
			FrameAttributes:  []*pb.Attribute{attr(false, intValue(1))},
			ObjectAttributes: []*pb.ObjectAttribute{{ObjectId: 1, Attribute: attr(true, intValue(1))}},
			Objects:          []*pb.VideoObjectWithForeignParent{{Object: &pb.VideoObject{Id: 5, DetectionBox: box()}}},
			ObjectPolicy:     pb.ObjectUpdatePolicy_REPLACE_SAME_LABEL_OBJECTS}}},
		"user data": {Content: &pb.Message_UserData{UserData: &pb.UserData{SourceId: "cam",
			Attributes: []*pb.Attribute{attr(true, intValue(1)), attr(false, &pb.AttributeValue{})}}}},
		"end of stream": {Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: "cam"}}},
		"unknown":       {Content: &pb.Message_Unknown{Unknown: &pb.Unknown{Message: "x"}}},
	} {
		body, msg := mediaBody(t, m, []byte("cam"), []byte("data"))
		got, err := savant.ParseMedia(body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got.Message) != string(msg) {
			t.Errorf("%s: the message's bytes changed", name)
		}
	}
}

// Every message savant-core's Message::try_from refuses (or panics on) is
// refused, naming the field.
func TestValidateRefusesWhatSavantCoreRefuses(t *testing.T) {
	frame := func(change func(f *pb.VideoFrame)) *pb.Message {
		f := richFrame()
		change(f)
		return frameMessage(f)
	}
	update := func(u *pb.VideoFrameUpdate) *pb.Message {
		return &pb.Message{Content: &pb.Message_VideoFrameUpdate{VideoFrameUpdate: u}}
	}
	badString := "x"
	for _, c := range []struct {
		name, field string
		m           *pb.Message
	}{
		{"uuid not a UUID", "video_frame.uuid", frame(func(f *pb.VideoFrame) { f.Uuid = "frame-1" })},
		{"empty uuid", "video_frame.uuid", frame(func(f *pb.VideoFrame) { f.Uuid = "" })},
		{"previous_keyframe not a UUID", "video_frame.previous_keyframe", frame(func(f *pb.VideoFrame) { f.PreviousKeyframe = &badString })},
		{"no content", "video_frame.content", frame(func(f *pb.VideoFrame) { f.Content = nil })},
		{"unknown transcoding method", "video_frame.transcoding_method", frame(func(f *pb.VideoFrame) { f.TranscodingMethod = 7 })},
		{"empty transformation", "video_frame.transformations[1]", frame(func(f *pb.VideoFrame) { f.Transformations[1].Transformation = nil })},
		{"object without detection box", "video_frame.objects[0].detection_box", frame(func(f *pb.VideoFrame) { f.Objects[0].DetectionBox = nil })},
		{"parent names no object", "video_frame.objects[1].parent_id", frame(func(f *pb.VideoFrame) { f.Objects[0].Id = 9 })},
		{"attribute value with nothing set", "video_frame.attributes[1].values[0].value", frame(func(f *pb.VideoFrame) { f.Attributes[1].Values[0] = &pb.AttributeValue{} })},
		{"persistent object attribute value unset", "video_frame.objects[0].attributes[0].values[0].value", frame(func(f *pb.VideoFrame) { f.Objects[0].Attributes[0].Values[0].Value = nil })},
		{"bounding box value without data", "bounding_box.data", frame(func(f *pb.VideoFrame) {
			f.Attributes[0].Values[3] = &pb.AttributeValue{Value: &pb.AttributeValue_BoundingBox{BoundingBox: &pb.BoundingBoxValue{}}}
		})},
		{"point value without data", "point.data", frame(func(f *pb.VideoFrame) {
			f.Attributes[0].Values[4] = &pb.AttributeValue{Value: &pb.AttributeValue_Point{Point: &pb.PointValue{}}}
		})},
		{"polygon tags for other points", "polygon.data.tags", frame(func(f *pb.VideoFrame) {
			f.Attributes[0].Values[5].GetPolygon().Data.Points = f.Attributes[0].Values[5].GetPolygon().Data.Points[:2]
		})},
		{"intersection without data", "intersection.data", frame(func(f *pb.VideoFrame) {
			f.Attributes[0].Values[6] = &pb.AttributeValue{Value: &pb.AttributeValue_Intersection{Intersection: &pb.IntersectionValue{}}}
		})},
		{"unknown intersection kind", "intersection.data.kind", frame(func(f *pb.VideoFrame) { f.Attributes[0].Values[6].GetIntersection().Data.Kind = 9 })},
		{"batch with a bad frame", "video_frame_batch.batch[2].uuid", &pb.Message{Content: &pb.Message_VideoFrameBatch{VideoFrameBatch: &pb.VideoFrameBatch{
			Batch: map[int64]*pb.VideoFrame{2: {Uuid: "nope", Content: &pb.VideoFrame_None{None: &pb.NoneFrame{}}}}}}}},
		{"update with unknown policy", "video_frame_update.object_policy", update(&pb.VideoFrameUpdate{ObjectPolicy: 3})},
		{"update with unknown attribute policy", "video_frame_update.frame_attribute_policy", update(&pb.VideoFrameUpdate{FrameAttributePolicy: 5})},
		{"update object attribute unset", "video_frame_update.object_attributes[0].attribute", update(&pb.VideoFrameUpdate{ObjectAttributes: []*pb.ObjectAttribute{{ObjectId: 1}}})},
		{"update object unset", "video_frame_update.objects[0].object", update(&pb.VideoFrameUpdate{Objects: []*pb.VideoObjectWithForeignParent{{}}})},
		{"update object without box", "video_frame_update.objects[0].object.detection_box", update(&pb.VideoFrameUpdate{Objects: []*pb.VideoObjectWithForeignParent{{Object: &pb.VideoObject{}}}})},
		{"update frame attribute unset value", "video_frame_update.frame_attributes[0].values[0].value", update(&pb.VideoFrameUpdate{FrameAttributes: []*pb.Attribute{attr(false, &pb.AttributeValue{})}})},
		{"user data persistent attribute unset value", "user_data.attributes[0].values[0].value", &pb.Message{Content: &pb.Message_UserData{UserData: &pb.UserData{
			Attributes: []*pb.Attribute{attr(true, &pb.AttributeValue{})}}}}},
	} {
		body, _ := mediaBody(t, c.m, []byte("cam"))
		_, err := savant.ParseMedia(body)
		if !errors.Is(err, savant.ErrBadMedia) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want ErrBadMedia naming %s", c.name, err, c.field)
		}
	}
}

// Bytes nested inside attributes, objects, transformations, batches or user
// data that do not decode, or strings in them that are not UTF-8, are
// refused: the whole message is decoded, not only its top level.
func TestValidateRefusesUndecodableNestedBytes(t *testing.T) {
	// field 24 (attributes) of a VideoFrame holding an Attribute whose
	// name (field 2) is not UTF-8; field 25 (objects) holding garbage;
	// field 23 (transformations) holding a truncated message.
	notUTF8 := protowire.AppendTag(nil, 2, protowire.BytesType)
	notUTF8 = protowire.AppendBytes(notUTF8, []byte{0xff, 0xfe})
	garbage := []byte{0x0a, 0x05, 0x01}
	for name, nested := range map[string][]byte{
		"attribute name not UTF-8": protowire.AppendBytes(protowire.AppendTag(nil, 24, protowire.BytesType), notUTF8),
		"object garbage":           protowire.AppendBytes(protowire.AppendTag(nil, 25, protowire.BytesType), garbage),
		"transformation truncated": protowire.AppendBytes(protowire.AppendTag(nil, 23, protowire.BytesType), []byte{0x0a, 0x09}),
	} {
		f, err := proto.Marshal(richFrame())
		if err != nil {
			t.Fatal(err)
		}
		f = append(f, nested...)
		msg := protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), f)
		body := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), msg)
		if _, err := savant.ParseMedia(body); !errors.Is(err, savant.ErrBadMedia) {
			t.Errorf("%s: %v, want ErrBadMedia", name, err)
		}
	}
}

// Whatever CheckMessage accepts decodes (with the full schema), and
// CheckMessage never panics.
func FuzzCheckMessage(f *testing.F) {
	for _, m := range []*pb.Message{frameMessage(richFrame()),
		{Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: "cam"}}},
		{Content: &pb.Message_VideoFrameUpdate{VideoFrameUpdate: &pb.VideoFrameUpdate{
			ObjectAttributes: []*pb.ObjectAttribute{{ObjectId: 1, Attribute: attr(true, intValue(1))}}}}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := savant.CheckMessage(b); err != nil {
			return
		}
		var m pb.Message
		if err := proto.Unmarshal(b, &m); err != nil {
			t.Fatalf("accepted, but does not decode: %v", err)
		}
		if m.Content == nil {
			t.Fatal("accepted without content")
		}
	})
}
