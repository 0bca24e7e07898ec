package savant

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// TimeBase is the time base of every frame streamgate builds: nanoseconds,
// as Savant's adapters use.
const TimeBase = 1_000_000_000

// Source builds the messages of one Savant source: seq_id starts at 1, grows
// by one per frame, and EndOfStream takes the next number and resets it.
type Source struct {
	// ID is the source id, also the ZeroMQ topic.
	ID string
	// Labels are the routing labels of every message.
	Labels []string
	// ProtocolVersion must equal the reader's savant-rs version.
	ProtocolVersion string

	mu  sync.Mutex
	seq uint64
}

// Frame is one encoded video access unit.
type Frame struct {
	// Codec is h264, hevc, …
	Codec string
	// Keyframe marks an IDR / IRAP access unit.
	Keyframe bool
	// PTS, DTS and Duration are in nanoseconds (TimeBase).
	PTS, DTS, Duration int64
	// Width and Height in pixels (> 0).
	Width, Height int
	// Framerate is "num/den".
	Framerate string
	// Data is the Annex-B access unit, sent as the extra frame.
	Data []byte
}

func (s *Source) next(reset bool) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	n := s.seq
	if reset {
		s.seq = 0
	}
	return n
}

// VideoFrame builds the message for f, with the bytes in the extra frame
// (external content, method "zeromq"), as Savant adapters send it.
func (s *Source) VideoFrame(f Frame) (Outgoing, error) {
	switch {
	case f.Width <= 0 || f.Height <= 0:
		return Outgoing{}, fmt.Errorf("savant: frame size %dx%d", f.Width, f.Height)
	case f.PTS < 0:
		return Outgoing{}, errors.New("savant: negative pts")
	case f.Codec == "":
		return Outgoing{}, errors.New("savant: no codec")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Outgoing{}, fmt.Errorf("savant: uuid: %w", err)
	}
	now := uint64(time.Now().UnixNano())
	vf := &pb.VideoFrame{
		SourceId:                s.ID,
		Uuid:                    id.String(),
		CreationTimestampNsHigh: 0,
		CreationTimestampNsLow:  now,
		Framerate:               f.Framerate,
		Width:                   int64(f.Width),
		Height:                  int64(f.Height),
		TranscodingMethod:       pb.VideoFrameTranscodingMethod_ENCODED,
		Codec:                   proto.String(f.Codec),
		Keyframe:                proto.Bool(f.Keyframe),
		TimeBaseNumerator:       1,
		TimeBaseDenominator:     TimeBase,
		Pts:                     f.PTS,
		Dts:                     proto.Int64(f.DTS),
		Content:                 &pb.VideoFrame_External{External: &pb.ExternalFrame{Method: "zeromq"}},
		Transformations: []*pb.VideoFrameTransformation{{Transformation: &pb.VideoFrameTransformation_InitialSize{
			InitialSize: &pb.InitialSize{Width: uint64(f.Width), Height: uint64(f.Height)}}}},
	}
	if f.Duration > 0 {
		vf.Duration = proto.Int64(f.Duration)
	}
	if vf.Framerate == "" {
		vf.Framerate = "30/1"
	}
	msg := s.message(s.next(false))
	msg.Content = &pb.Message_VideoFrame{VideoFrame: vf}
	b, err := proto.Marshal(msg)
	if err != nil {
		return Outgoing{}, fmt.Errorf("savant: encode: %w", err)
	}
	return Outgoing{Topic: []byte(s.ID), Message: b, Extra: [][]byte{f.Data}}, nil
}

// EndOfStream builds the message that closes the source.
func (s *Source) EndOfStream() Outgoing {
	msg := s.message(s.next(true))
	msg.Content = &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: s.ID}}
	b, _ := proto.Marshal(msg) // cannot fail: no required fields, valid UTF-8
	return Outgoing{Topic: []byte(s.ID), Message: b, EndOfStream: true}
}

func (s *Source) message(seq uint64) *pb.Message {
	return &pb.Message{ProtocolVersion: s.ProtocolVersion, RoutingLabels: s.Labels, SeqId: seq}
}
