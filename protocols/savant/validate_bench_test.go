package savant_test

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
	"github.com/streamgate/streamgate/protocols/savant/savanttest"
)

// benchMedia is the gateway benchmark's Media body (protocols/gateway
// bench_test.go): savanttest.Frame with routing labels, and a 100 KB data
// part.
func benchMedia(objects, attrs int) []byte {
	msg := savanttest.Frame(objects, attrs)
	msg.RoutingLabels = []string{"a", "b"}
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
