package savant_test

import (
	"bytes"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// benchMedia is the gateway benchmark's Media body (protocols/gateway
// bench_test.go): a VideoFrame with objects objects of attrs attributes each
// (and attrs frame attributes), a float vector of 4 in each, and a 100 KB
// data part.
func benchMedia(objects, attrs int) []byte {
	attributes := func() []*pb.Attribute {
		var as []*pb.Attribute
		for i := range attrs {
			conf := float32(0.9)
			as = append(as, &pb.Attribute{Namespace: "detector", Name: fmt.Sprintf("attr%d", i), IsPersistent: true,
				Values: []*pb.AttributeValue{{Confidence: &conf, Value: &pb.AttributeValue_FloatVector{FloatVector: &pb.FloatVectorValue{Data: []float64{1, 2, 3, 4}}}}}})
		}
		return as
	}
	vf := &pb.VideoFrame{SourceId: "cam", Width: 1920, Height: 1080, Uuid: frameUUID, Framerate: "30/1",
		Content: &pb.VideoFrame_External{External: &pb.ExternalFrame{Method: "zeromq"}}, Attributes: attributes()}
	for i := range objects {
		vf.Objects = append(vf.Objects, &pb.VideoObject{Id: int64(i), Namespace: "detector", Label: "car",
			DetectionBox: &pb.BoundingBox{Xc: 100, Yc: 100, Width: 50, Height: 30}, Attributes: attributes()})
	}
	msg := &pb.Message{ProtocolVersion: "1.15.1", RoutingLabels: []string{"a", "b"}, Content: &pb.Message_VideoFrame{VideoFrame: vf}}
	body, err := proto.Marshal(&pb.Media{Message: msg, Topic: []byte("cam"), Data: [][]byte{bytes.Repeat([]byte{2}, 100<<10)}})
	if err != nil {
		panic(err)
	}
	return body
}

// BenchmarkParseMedia is the gateway's per-request check of a Media body
// (split + savant-core's checks): "plain" a VideoFrame without metadata,
// "rich" the load (20 objects of 10 attributes each, 10 frame
// attributes; a 14 KB message). SetBytes counts the message, not the data.
func BenchmarkParseMedia(b *testing.B) {
	for _, c := range []struct {
		name           string
		objects, attrs int
	}{{"plain", 0, 0}, {"rich", 20, 10}} {
		b.Run(c.name, func(b *testing.B) {
			body := benchMedia(c.objects, c.attrs)
			m, err := savant.ParseMedia(body)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(m.Message)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := savant.ParseMedia(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
