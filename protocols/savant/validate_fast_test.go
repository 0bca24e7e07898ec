package savant

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// fastSeeds are encoded Attributes: the common shapes the fast path takes,
// and others it must leave to the full check.
func fastSeeds(t testing.TB) (common, other [][]byte) {
	conf := float32(0.5)
	hint := "h"
	// v gives a value the confidence every seed carries.
	v := func(a *pb.AttributeValue) *pb.AttributeValue {
		a.Confidence = &conf
		return a
	}
	enc := func(a *pb.Attribute) []byte {
		b, err := proto.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, vals := range [][]*pb.AttributeValue{
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Float{Float: &pb.FloatValue{Data: 1.5}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Float{Float: &pb.FloatValue{}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_FloatVector{FloatVector: &pb.FloatVectorValue{Data: []float64{1, 2, 3, 4}}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Integer{Integer: &pb.IntegerValue{Data: -7}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Integer{Integer: &pb.IntegerValue{Data: 300}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_IntegerVector{IntegerVector: &pb.IntegerVectorValue{Data: []int64{1, -1, 1 << 40}}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Boolean{Boolean: &pb.BooleanValue{Data: true}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_BooleanVector{BooleanVector: &pb.BooleanVectorValue{Data: []bool{true, false}}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_String_{String_: &pb.StringValue{Data: "plate"}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_BoundingBox{BoundingBox: &pb.BoundingBoxValue{Data: &pb.BoundingBox{Xc: 1, Yc: 2, Width: 3, Height: 4, Angle: proto.Float32(5)}}}})},
		{v(&pb.AttributeValue{Value: &pb.AttributeValue_Integer{Integer: &pb.IntegerValue{Data: 1}}}), v(&pb.AttributeValue{Value: &pb.AttributeValue_String_{String_: &pb.StringValue{Data: "x"}}})},
	} {
		common = append(common, enc(&pb.Attribute{Namespace: "det", Name: "a", Hint: &hint, Values: vals, IsPersistent: true, IsHidden: true}))
	}
	for _, a := range []*pb.Attribute{
		{Namespace: "det", Name: "a", Values: []*pb.AttributeValue{v(&pb.AttributeValue{Value: &pb.AttributeValue_Point{Point: &pb.PointValue{Data: &pb.Point{X: 1}}}})}, IsPersistent: true},
		{Namespace: "det", Name: "a", Values: []*pb.AttributeValue{v(&pb.AttributeValue{Value: &pb.AttributeValue_None{None: &pb.NoneValue{}}})}, IsPersistent: true},
		{Namespace: "det", Name: "a", Values: []*pb.AttributeValue{v(&pb.AttributeValue{})}, IsPersistent: true},  // value not set
		{Namespace: "det", Name: "a", Values: []*pb.AttributeValue{v(&pb.AttributeValue{})}, IsPersistent: false}, // … not persistent
		{Namespace: "dét", Name: "a", IsPersistent: true},   // not ASCII
		{Namespace: "det", Name: string(make([]byte, 200))}, // a 2-byte length
		{Namespace: "det", Name: "a", Values: []*pb.AttributeValue{v(&pb.AttributeValue{Value: &pb.AttributeValue_BoundingBox{BoundingBox: &pb.BoundingBoxValue{}}})}, IsPersistent: true},
	} {
		other = append(other, enc(a))
	}
	return common, other
}

// The fast path takes the common shapes.
func TestAttributeFastTakesCommonShapes(t *testing.T) {
	common, _ := fastSeeds(t)
	for i, b := range common {
		if !attributeFast(b) {
			t.Errorf("seed %d (% x): not taken by the fast path", i, b)
		}
		if err := checkAttributeFull(b, false); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}

// fastAgrees fails when the fast path accepts what the full check refuses.
func fastAgrees(t *testing.T, b []byte) {
	if !attributeFast(b) {
		return
	}
	for _, onlyPersistent := range []bool{false, true} {
		if err := checkAttributeFull(b, onlyPersistent); err != nil {
			t.Fatalf("the fast path accepts % x, the full check (onlyPersistent %v) refuses it: %v", b, onlyPersistent, err)
		}
	}
}

// Every one-byte change and every truncation of the seeds: whatever the
// fast path accepts, the full check accepts too.
func TestAttributeFastNeverAcceptsMore(t *testing.T) {
	common, other := fastSeeds(t)
	for _, seed := range append(common, other...) {
		fastAgrees(t, seed)
		for n := range len(seed) {
			fastAgrees(t, seed[:n])
		}
		m := make([]byte, len(seed))
		for i := range seed {
			for _, c := range []byte{0, 1, 2, 5, 7, 8, 9, 0x0a, 0x0d, 0x12, 0x1a, 0x22, 0x28, 0x7f, 0x80, 0xc3, 0xff, seed[i] ^ 1, seed[i] + 8, seed[i] - 8} {
				copy(m, seed)
				m[i] = c
				fastAgrees(t, m)
			}
		}
	}
}

func FuzzAttributeFast(f *testing.F) {
	common, other := fastSeeds(f)
	for _, s := range append(common, other...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fastAgrees(t, b) })
}
