package rtmp

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// scriptConn replays messages, then fails with io.EOF.
type scriptConn struct {
	msgs []message.Message
	read int
}

func (s *scriptConn) BytesReceived() uint64          { return 0 }
func (s *scriptConn) BytesSent() uint64              { return 0 }
func (s *scriptConn) Write(message.Message) error    { return nil }
func (s *scriptConn) Read() (message.Message, error) { return s.next() }

func (s *scriptConn) next() (message.Message, error) {
	if s.read >= len(s.msgs) {
		return nil, io.EOF
	}
	s.read++
	return s.msgs[s.read-1], nil
}

func aacFrames(n int) []message.Message {
	var out []message.Message
	for i := range n {
		out = append(out, &message.Audio{DTS: time.Duration(i) * 23 * time.Millisecond, Codec: message.CodecMPEG4Audio,
			Rate: message.AudioRate44100, Depth: message.AudioDepth16, IsStereo: true, AACType: message.AudioAACTypeAU, AU: []byte{1, 2, 3}})
	}
	return out
}

func onMetaData(obj amf0.Object) message.Message {
	return &message.DataAMF0{Payload: amf0.Data{"@setDataFrame", "onMetaData", amf0.ECMAArray(obj)}}
}

// A publisher whose onMetaData announces its tracks is probed until their
// configurations are read, not for gortmplib's 2 s of media: here the
// script ends (io.EOF) 0.2 s into the media, which fails the full probe.
func TestRTMPProbeEndsWhenAnnouncedTracksAreConfigured(t *testing.T) {
	config := &message.Audio{Codec: message.CodecMPEG4Audio, Rate: message.AudioRate44100, Depth: message.AudioDepth16,
		IsStereo: true, AACType: message.AudioAACTypeConfig, AACConfig: probeAAC}
	msgs := append([]message.Message{
		onMetaData(amf0.Object{{Key: "audiocodecid", Value: float64(10)}, {Key: "duration", Value: float64(0)}}),
		config,
	}, aacFrames(10)...)
	conn := &scriptConn{msgs: msgs}
	r, err := newReader(conn)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	if tr := r.Tracks(); len(tr) != 1 {
		t.Fatalf("tracks %v, want the AAC track", tr)
	}
	if conn.read > 3 {
		t.Errorf("the probe read %d messages, want it to end after the configuration (+1)", conn.read)
	}
	// The replay has every message once and not the marker.
	var got []message.Message
	for {
		m, err := r.Conn.Read()
		if err != nil {
			break
		}
		got = append(got, m)
	}
	if len(got) != len(msgs) {
		t.Errorf("replayed %d messages, want %d", len(got), len(msgs))
	}
	for i, m := range got {
		if _, ok := m.(*message.Video); ok {
			t.Errorf("message %d replayed is the probe's marker", i)
		}
	}
}

// Without onMetaData (or with an announced track never configured) the
// probe is gortmplib's: 2 s of media.
func TestRTMPProbeWithoutMetadataWaitsTheFullPeriod(t *testing.T) {
	config := &message.Audio{Codec: message.CodecMPEG4Audio, Rate: message.AudioRate44100, Depth: message.AudioDepth16,
		IsStereo: true, AACType: message.AudioAACTypeConfig, AACConfig: probeAAC}
	for name, head := range map[string][]message.Message{
		"no metadata":     {config},
		"video announced": {onMetaData(amf0.Object{{Key: "videocodecid", Value: float64(7)}, {Key: "audiocodecid", Value: float64(10)}}), config},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := newReader(&scriptConn{msgs: append(head, aacFrames(10)...)}); err == nil {
				t.Errorf("the probe ended before 2 s of media")
			}
			if _, err := newReader(&scriptConn{msgs: append(head, aacFrames(100)...)}); err != nil {
				t.Errorf("2.3 s of media: %v", err)
			}
		})
	}
}

var probeAAC = &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 2}

// floodConn sends 1 MiB H.264 frames whose DTS never advances.
type floodConn struct {
	scriptConn
	received uint64
}

func (f *floodConn) BytesReceived() uint64 { return f.received }
func (f *floodConn) Read() (message.Message, error) {
	f.received += 1 << 20
	return &message.Video{Codec: message.CodecH264, Type: message.VideoTypeAU, AU: []byte{5}}, nil
}

// While gortmplib looks for the tracks it keeps every message; a publisher
// whose DTS does not advance made it keep 5000 of them (5000 × 1 MiB here,
// up to 10 MiB each) before it gave up. The probe now stops at
// maxProbeBytes.
func TestProbeBytesBounded(t *testing.T) {
	c := &floodConn{}
	if _, err := newReader(c); !errors.Is(err, errProbeBytes) {
		t.Fatalf("newReader: %v after %d MiB, want %v", err, c.received>>20, errProbeBytes)
	}
	if c.received > maxProbeBytes+1<<20 {
		t.Errorf("%d MiB read, want at most %d", c.received>>20, maxProbeBytes>>20)
	}
}
