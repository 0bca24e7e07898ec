package stream

import (
	"log/slog"
	"sync"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/internal/panics"
)

// Unit is one codec-level unit of a track.
type Unit struct {
	Media  *description.Media
	Format format.Format
	// PTS in the format's clock rate.
	PTS int64
	// DTS, when HasDTS, is the decoding timestamp the publisher carried
	// (RTMP, MPEG-TS over SRT), in the format's clock rate. RTSP carries
	// none: the hub's consumers compute one (DTSClock).
	DTS    int64
	HasDTS bool
	// RTP is the packet as received, when the source is RTSP.
	RTP *rtp.Packet
	// AU is the decoded unit: the NALUs (without start codes) of one
	// H.264/H.265 access unit, one VP8/VP9 frame, the OBUs of one AV1
	// temporal unit, MPEG-4 audio access units, or one Opus packet.
	// Nil for formats the hub does not decode.
	AU [][]byte
}

// Size is the payload size, for byte counters.
func (u *Unit) Size() int {
	if u.RTP != nil {
		return len(u.RTP.Payload)
	}
	n := 0
	for _, nalu := range u.AU {
		n += len(nalu)
	}
	return n
}

// Sink is one consumer of a publication's units, fed through a bounded queue
// by its own goroutine, or, inline, in the publisher's goroutine.
type Sink struct {
	name    string
	queue   chan *Unit
	metrics *metrics
	once    sync.Once
	done    chan struct{}
	// inline consumers run in WriteUnit (they never wait).
	inline  func(*Unit)
	closeFn func()
}

// newInlineSink makes a sink whose consume runs in the publisher's
// goroutine: for consumers that never wait (the Savant output, which only
// enqueues), so that a unit does not wait for a goroutine to be scheduled
// on a busy machine.
func newInlineSink(name string, consume func(*Unit), closeFn func()) *Sink {
	return &Sink{name: name, inline: consume, closeFn: closeFn, done: make(chan struct{})}
}

// newSink starts the sink's goroutine. A panic in consume ends this sink
// only: it is logged on logger and counted (component stream), closeFn
// runs, and the units still queued or pushed later are dropped.
func newSink(m *metrics, logger *slog.Logger, name string, size int, consume func(*Unit), closeFn func()) *Sink {
	s := &Sink{name: name, queue: make(chan *Unit, max(1, size)), metrics: m, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer func() {
			if closeFn != nil {
				closeFn()
			}
		}()
		defer panics.Recover(logger, "stream", nil)
		for u := range s.queue {
			consume(u)
		}
	}()
	return s
}

func (s *Sink) push(u *Unit) {
	if s.inline != nil {
		s.inline(u)
		return
	}
	select {
	case s.queue <- u:
	default:
		s.metrics.dropped.WithLabelValues(s.name).Inc()
	}
}

func (s *Sink) close() {
	s.once.Do(func() {
		if s.inline == nil {
			close(s.queue)
			return
		}
		if s.closeFn != nil {
			s.closeFn()
		}
		close(s.done)
	})
}

// Wait blocks until the sink has drained and closed.
func (s *Sink) Wait() { <-s.done }
