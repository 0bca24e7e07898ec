package hls

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// errNoTracks: the publication has no track HLS can carry.
var errNoTracks = errors.New("hls: the stream has no track HLS can carry (H.264, H.265, VP9, AV1, AAC, Opus)")

// muxer is the HLS muxer of one live path: one hub sink feeding a gohlslib
// muxer that every reader of the path is served from. The muxer counts as
// one reader of the publication.
type muxer struct {
	srv    *Server
	pub    *stream.Publication
	hls    *gohlslib.Muxer
	tracks map[format.Format]*gohlslib.Track
	// params put the parameter sets in front of H.264/H.265 keyframes that
	// lack them (an RTSP publisher sends them in the SDP only).
	params map[format.Format]*stream.ParamSets
	sink   *stream.Sink
	// keep: created by hlsAlwaysRemux, never closed for idleness.
	keep bool
	// variant and channels (of the audio track, 0 if none) for amend.
	variant  gohlslib.MuxerVariant
	channels int

	lastRequest atomic.Int64 // unix nanoseconds
	created     time.Time
	sent        atomic.Uint64 // bytes served (control API)
	closeOnce   sync.Once
	closed      chan struct{}
}

// newMuxer starts the muxer of p.
func newMuxer(s *Server, p *stream.Publication, keep bool) (*muxer, error) {
	m := &muxer{srv: s, pub: p, keep: keep, created: time.Now(), tracks: map[format.Format]*gohlslib.Track{},
		params: map[format.Format]*stream.ParamSets{}, closed: make(chan struct{})}
	variant := s.cfg.variant()
	m.variant = variant
	var list []*gohlslib.Track
	for _, md := range p.Desc.Medias {
		for _, f := range md.Formats {
			t := hlsTrack(f, variant)
			if t == nil {
				continue
			}
			m.tracks[f] = t
			if n := channelCount(f); n > 0 && m.channels == 0 {
				m.channels = n
			}
			if ps := stream.NewParamSets(f); ps != nil {
				m.params[f] = ps
			}
			list = append(list, t)
		}
	}
	if len(list) == 0 {
		return nil, errNoTracks
	}
	m.hls = &gohlslib.Muxer{
		Tracks:             list,
		Variant:            variant,
		SegmentCount:       s.cfg.SegmentCount,
		SegmentMinDuration: s.cfg.SegmentDuration,
		PartMinDuration:    s.cfg.PartDuration,
		SegmentMaxSize:     s.cfg.SegmentMaxSize,
		OnEncodeError: func(err error) {
			s.cfg.Logger.Debug("hls encode error", "path", p.Name, "error", err)
		},
	}
	if err := m.hls.Start(); err != nil {
		return nil, err
	}
	if err := p.AddReader(m); err != nil {
		m.hls.Close()
		return nil, err
	}
	m.touch()
	m.sink = p.AddSink("hls", 1024, m.write, m.close)
	go m.watch()
	return m, nil
}

// hlsTrack is the gohlslib track of f, or nil when the variant cannot carry
// it (MPEG-TS carries H.264 and AAC only; no variant carries VP8). VP9 and
// AV1 tracks take their parameters from the first keyframe (gohlslib).
func hlsTrack(f format.Format, v gohlslib.MuxerVariant) *gohlslib.Track {
	fmp4 := v != gohlslib.MuxerVariantMPEGTS
	switch f := f.(type) {
	case *format.H264:
		return &gohlslib.Track{Codec: &codecs.H264{SPS: f.SPS, PPS: f.PPS}, ClockRate: f.ClockRate()}
	case *format.H265:
		if fmp4 {
			return &gohlslib.Track{Codec: &codecs.H265{VPS: f.VPS, SPS: f.SPS, PPS: f.PPS}, ClockRate: f.ClockRate()}
		}
	case *format.VP9:
		if fmp4 {
			return &gohlslib.Track{Codec: &codecs.VP9{}, ClockRate: f.ClockRate()}
		}
	case *format.AV1:
		if fmp4 {
			return &gohlslib.Track{Codec: &codecs.AV1{}, ClockRate: f.ClockRate()}
		}
	case *format.MPEG4Audio:
		if f.Config != nil {
			return &gohlslib.Track{Codec: &codecs.MPEG4Audio{Config: *f.Config}, ClockRate: f.ClockRate()}
		}
	case *format.Opus:
		if fmp4 {
			return &gohlslib.Track{Codec: &codecs.Opus{ChannelCount: f.ChannelCount}, ClockRate: f.ClockRate()}
		}
	}
	return nil
}

// write hands one unit to the muxer (the hub sink's consumer).
func (m *muxer) write(u *stream.Unit) {
	t := m.tracks[u.Format]
	if t == nil || u.AU == nil {
		return
	}
	now := time.Now()
	au := u.AU
	if ps := m.params[u.Format]; ps != nil {
		au, _, _ = ps.Complete(au)
	}
	var err error
	switch u.Format.(type) {
	case *format.H264:
		err = m.hls.WriteH264(t, now, u.PTS, au)
	case *format.H265:
		err = m.hls.WriteH265(t, now, u.PTS, au)
	case *format.VP9:
		for _, frame := range u.AU {
			err = errors.Join(err, m.hls.WriteVP9(t, now, u.PTS, frame))
		}
	case *format.AV1:
		err = m.hls.WriteAV1(t, now, u.PTS, u.AU)
	case *format.MPEG4Audio:
		err = m.hls.WriteMPEG4Audio(t, now, u.PTS, u.AU)
	case *format.Opus:
		err = m.hls.WriteOpus(t, now, u.PTS, u.AU)
	}
	if err != nil {
		m.srv.cfg.Logger.Debug("hls unit skipped", "path", m.pub.Name, "error", err)
	}
}

// touch records a request.
func (m *muxer) touch() { m.lastRequest.Store(time.Now().UnixNano()) }

// handle serves one playlist, init file, segment or part.
func (m *muxer) handle(w http.ResponseWriter, r *http.Request) {
	m.touch()
	aw := &amendWriter{ResponseWriter: countingWriter{w, &m.sent}, m: m, playlist: strings.HasSuffix(r.URL.Path, ".m3u8")}
	m.hls.Handle(aw, r)
	if aw.playlist {
		aw.flush(m.variant, m.channels)
	}
}

// channelCount is the channel count of an audio format, 0 if unknown or
// not audio.
func channelCount(f format.Format) int {
	switch f := f.(type) {
	case *format.MPEG4Audio:
		if f.Config == nil {
			return 0
		}
		switch c := f.Config.ChannelConfig; {
		case c >= 1 && c <= 6:
			return int(c)
		case c == 7:
			return 8
		}
	case *format.Opus:
		return f.ChannelCount
	}
	return 0
}

// watch closes the muxer when its publication ends or, unless kept, when
// nobody asked for anything for hlsMuxerCloseAfter.
func (m *muxer) watch() {
	defer panics.Recover(m.srv.cfg.Logger, "hls", m.close)
	after := m.srv.cfg.MuxerCloseAfter
	tick := time.NewTicker(max(after/4, 50*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-m.closed:
			return
		case <-m.pub.Done():
			m.stop()
			return
		case <-tick.C:
			if !m.keep && after > 0 && time.Since(time.Unix(0, m.lastRequest.Load())) > after {
				m.srv.cfg.Logger.Debug("hls muxer idle, closing", "path", m.pub.Name)
				m.stop()
				return
			}
		}
	}
}

func (m *muxer) isClosed() bool {
	select {
	case <-m.closed:
		return true
	default:
		return false
	}
}

// stop ends the muxer from outside its sink: the sink is removed and
// drained first — its consumer writes into the gohlslib muxer, which must
// not be closed under it — then the muxer is closed.
func (m *muxer) stop() {
	m.pub.RemoveSink(m.sink)
	m.sink.Wait()
	m.close()
}

// close stops the muxer (blocked playlist requests return) and forgets it;
// called by stop, or by the sink once drained.
func (m *muxer) close() {
	m.closeOnce.Do(func() {
		close(m.closed)
		m.hls.Close()
		m.pub.RemoveReader(m)
		m.srv.forget(m)
	})
}
