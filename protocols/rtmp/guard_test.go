package rtmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
)

// publishThen is a client's side of a connection that publishes live/cam
// and then sends after.
func publishThen(t testing.TB, after ...*rawmessage.Message) []byte {
	t.Helper()
	return append(acceptSeed{}.bytes(t), clientBytes(t, after...)...)
}

// acceptAuthenticated runs accept on in and lifts the limits before
// authentication, as a granted connection has them.
func acceptAuthenticated(t testing.TB, in []byte) *session {
	t.Helper()
	s, err := accept(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in), io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	s.authenticated()
	return s
}

// deepAMF0 is an AMF0 object nested depth times (4 bytes a level), never
// closed.
func deepAMF0(depth int) []byte {
	return append([]byte{0x03}, bytes.Repeat([]byte{0x00, 0x01, 'a', 0x03}, depth)...)
}

// An authenticated publisher's AMF0 message nested 2.4 million deep (9.5 MiB,
// under gortmplib's 10 MiB message bound) made gortmplib's recursive AMF0
// decoder need a 1 GiB goroutine stack: "fatal error: stack overflow", the
// whole daemon gone (no recover catches it). The message is refused before
// it is decoded; the test runs it in a child process so that the failure
// is reported instead of killing the test binary.
func TestDeepAMF0IsRefused(t *testing.T) {
	refusedInChild(t, "STREAMGATE_RTMP_DEEP_AMF0", func() error {
		s := acceptAuthenticated(t, publishThen(t, &rawmessage.Message{ChunkStreamID: 4, Type: uint8(message.TypeDataAMF0),
			MessageStreamID: streamID, Body: deepAMF0(9_500_000 / 4)}))
		_, err := s.Read()
		return err
	})
}

// refusedInChild runs the test again in a child process with env set to 1,
// where run runs and its error is printed; the test fails unless the child
// lived to print errMessageTooLarge. A stack overflow kills a process
// whatever recovers: run in the test's own process, it would end the test
// binary instead of failing the test.
func refusedInChild(t *testing.T, env string, run func() error) {
	if os.Getenv(env) == "1" {
		os.Stdout.WriteString("child: " + errString(run()) + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child process died: %v\n%s", err, head(out, 600))
	}
	if !strings.Contains(string(out), "child: "+errMessageTooLarge.Error()) {
		t.Fatalf("want the message refused, got\n%s", head(out, 600))
	}
}

// chunkSize is a SetChunkSize message setting n.
func chunkSize(n uint32) *rawmessage.Message {
	return &rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize), Body: binary.BigEndian.AppendUint32(nil, n)}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func head(b []byte, n int) []byte { return b[:min(len(b), n)] }

// What reaches gortmplib's decoder: no audio or video before
// authentication; after it, frames of any size up to gortmplib's bound,
// structures up to maxDecodedBody.
func TestMessageGuard(t *testing.T) {
	big := maxDecodedBody + 1
	video := func(head ...byte) *rawmessage.Message {
		return &rawmessage.Message{ChunkStreamID: 6, Type: uint8(message.TypeVideo), MessageStreamID: streamID,
			Body: append(head, make([]byte, big-len(head))...)}
	}
	for _, c := range []struct {
		name    string
		raw     *rawmessage.Message
		preAuth bool
		want    error
	}{
		{"audio before authentication", &rawmessage.Message{ChunkStreamID: 4, Type: uint8(message.TypeAudio),
			MessageStreamID: streamID, Body: []byte{0xaf, 0x01, 0x21}}, true, errPreAuthMedia},
		{"video before authentication", rawOf(t, &message.VideoExSequenceStart{ChunkStreamID: 6, MessageStreamID: streamID,
			FourCC: message.FourCCAV1, AV1Config: seedAV1C}), true, errPreAuthMedia},
		{"large FLV H.264 frame", video(0x27, 0x01, 0, 0, 0), false, nil},
		{"large FLV H.264 configuration", video(0x17, 0x00, 0, 0, 0), false, errMessageTooLarge},
		{"large enhanced coded frames", video(0x81, 'a', 'v', '0', '1'), false, nil},
		{"large enhanced frames x", video(0x83, 'v', 'p', '0', '9'), false, nil},
		{"large enhanced sequence start", video(0x80, 'h', 'v', 'c', '1'), false, errMessageTooLarge},
		{"large enhanced metadata", video(0x84, 'h', 'v', 'c', '1'), false, errMessageTooLarge},
		{"large multitrack frames", video(0x86, 0x01, 'a', 'v', '0', '1', 0), false, nil},
		{"large multitrack sequence start", video(0x86, 0x00, 'a', 'v', '0', '1', 0), false, errMessageTooLarge},
		{"large data", &rawmessage.Message{ChunkStreamID: 4, Type: uint8(message.TypeDataAMF0), MessageStreamID: streamID,
			Body: append([]byte{0x02, 0xff, 0xff}, make([]byte, 0xffff)...)}, false, errMessageTooLarge},
		{"chunk size 0", chunkSize(0), false, errChunkSizeSmall},
		{"chunk size 127, before authentication", chunkSize(127), true, errChunkSizeSmall},
		{"chunk size 128", chunkSize(128), false, nil},
		{"chunk size 64 KiB", chunkSize(64 << 10), true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := checkMessage(c.raw, c.preAuth); !errors.Is(err, c.want) {
				t.Errorf("check: %v, want %v", err, c.want)
			}
		})
	}
}

// A message comes out of the decoder as gortmplib's reader makes it from
// the wire: a frame over gortmplib's default chunk size, timestamps past 24
// bits, and messages after a client's SetChunkSize included.
func TestDecodeIsGortmplibs(t *testing.T) {
	d := newDecoder()
	for _, m := range []message.Message{
		&message.CommandAMF0{ChunkStreamID: 3, MessageStreamID: streamID, Name: "publish", CommandID: 5,
			Arguments: []any{nil, "cam", "live"}},
		&message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: streamID, DTS: 0x1000000 * time.Millisecond, FourCC: message.FourCCAV1,
			Payload: bytes.Repeat([]byte{0x32, 0x80}, 200_000)},
		&message.SetChunkSize{Value: 4096},
		&message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: streamID, DTS: 0x1000040 * time.Millisecond,
			FourCC: message.FourCCAV1, Payload: bytes.Repeat([]byte{0x32, 0x80}, 5000)},
		&message.DataAMF0{ChunkStreamID: 4, MessageStreamID: streamID, Payload: []any{"onMetaData", amf0.Object{}}},
	} {
		got, err := d.decode(rawOf(t, m))
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("decode(%T) is not the message written", m)
		}
	}
}
