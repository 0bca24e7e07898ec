// Package savanttest builds Savant messages for the tests and benchmarks
// of more than one package (the gateway's and the Savant checks').
package savanttest

import (
	"fmt"

	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// Frame is a VideoFrame message of source cam (1920×1080, 30/1, external
// content) with objects objects of attrs attributes each and attrs frame
// attributes, each attribute a persistent float vector of 4: the load of
// the gateway benchmarks.
func Frame(objects, attrs int) *pb.Message {
	attributes := func() []*pb.Attribute {
		var as []*pb.Attribute
		for i := range attrs {
			conf := float32(0.9)
			as = append(as, &pb.Attribute{Namespace: "detector", Name: fmt.Sprintf("attr%d", i), IsPersistent: true,
				Values: []*pb.AttributeValue{{Confidence: &conf, Value: &pb.AttributeValue_FloatVector{FloatVector: &pb.FloatVectorValue{Data: []float64{1, 2, 3, 4}}}}}})
		}
		return as
	}
	vf := &pb.VideoFrame{SourceId: "cam", Width: 1920, Height: 1080, Uuid: "0192e4b5-3b7c-7c3d-8a6e-3b1f4c5d6e7f", Framerate: "30/1",
		Content: &pb.VideoFrame_External{External: &pb.ExternalFrame{Method: "zeromq"}}, Attributes: attributes()}
	for i := range objects {
		vf.Objects = append(vf.Objects, &pb.VideoObject{Id: int64(i), Namespace: "detector", Label: "car",
			DetectionBox: &pb.BoundingBox{Xc: 100, Yc: 100, Width: 50, Height: 30}, Attributes: attributes()})
	}
	return &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrame{VideoFrame: vf}}
}
