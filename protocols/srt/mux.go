package srt

import (
	"bytes"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/substructs"

	"github.com/streamgate/streamgate/protocols/stream"
)

// tsOffset shifts every outgoing timestamp by one second, so that the PCR
// (written a little before the DTS) never goes below zero.
const tsOffset = 90000

// muxer turns hub units into MPEG-TS: one chunk of whole 188-byte packets
// per unit. Nothing is written before the first video keyframe (when there
// is video), so the video track carries the PCR and every keyframe chunk
// starts with PAT and PMT: a reader can join at any keyframe chunk.
type muxer struct {
	w        *mpegts.Writer
	buf      bytes.Buffer
	tracks   map[format.Format]*muxTrack
	hasVideo bool
	started  bool
}

type muxTrack struct {
	track *mpegts.Track
	clock int64
	video *videoState // nil for audio
}

// videoState keeps what an H.264/H.265 track needs across access units:
// the latest parameter sets (put in front of keyframes that lack them) and
// the DTS extractor.
type videoState struct {
	h265   bool
	params [3][]byte // H.265: VPS, SPS, PPS; H.264: -, SPS, PPS
	dts264 *h264.DTSExtractor
	dts265 *h265.DTSExtractor
}

// muxable reports whether desc has a track the muxer can carry.
func muxable(desc *description.Session) bool {
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			if codecOf(f) != nil {
				return true
			}
		}
	}
	return false
}

func codecOf(f format.Format) tscodecs.Codec {
	switch f := f.(type) {
	case *format.H264:
		return &tscodecs.H264{}
	case *format.H265:
		return &tscodecs.H265{}
	case *format.MPEG4Audio:
		if f.Config != nil && f.Config.SampleRate > 0 {
			return &tscodecs.MPEG4Audio{Config: *f.Config}
		}
	case *format.Opus:
		// Channel configuration codes 1 and 2 are mono and stereo.
		return &tscodecs.Opus{Desc: &substructs.OpusAudioDescriptor{ChannelConfigCode: uint8(min(max(f.ChannelCount, 1), 2))}}
	}
	return nil
}

func newMuxer(desc *description.Session) (*muxer, error) {
	m := &muxer{tracks: map[format.Format]*muxTrack{}}
	var tracks []*mpegts.Track
	for _, medi := range desc.Medias {
		for _, f := range medi.Formats {
			c := codecOf(f)
			if c == nil {
				continue
			}
			t := &muxTrack{track: &mpegts.Track{Codec: c}, clock: int64(f.ClockRate())}
			switch f := f.(type) {
			case *format.H264:
				sps, pps := f.SafeParams()
				t.video = &videoState{params: [3][]byte{nil, bytes.Clone(sps), bytes.Clone(pps)}}
			case *format.H265:
				vps, sps, pps := f.SafeParams()
				t.video = &videoState{h265: true, params: [3][]byte{bytes.Clone(vps), bytes.Clone(sps), bytes.Clone(pps)}}
			}
			m.hasVideo = m.hasVideo || t.video != nil
			m.tracks[f] = t
			tracks = append(tracks, t.track)
		}
	}
	if len(tracks) == 0 {
		return nil, ErrNoTracks
	}
	m.w = &mpegts.Writer{W: &m.buf, Tracks: tracks}
	if err := m.w.Initialize(); err != nil {
		return nil, err
	}
	m.started = !m.hasVideo
	return m, nil
}

// write muxes u. It returns the MPEG-TS of the unit (nil when nothing was
// written) and whether a reader may start with it.
func (m *muxer) write(u *stream.Unit) (chunk []byte, join bool, err error) {
	t := m.tracks[u.Format]
	if t == nil || len(u.AU) == 0 {
		return nil, false, nil
	}
	pts := rescale(u.PTS, t.clock, 90000) + tsOffset
	m.buf.Reset()
	if t.video != nil {
		au := nonEmpty(u.AU)
		if len(au) == 0 {
			return nil, false, nil
		}
		join, err = m.writeVideo(t, au, pts)
	} else if m.started {
		join = !m.hasVideo
		switch t.track.Codec.(type) {
		case *tscodecs.MPEG4Audio:
			err = m.w.WriteMPEG4Audio(t.track, pts, u.AU)
		case *tscodecs.Opus:
			err = m.w.WriteOpus(t.track, pts, u.AU)
		}
	}
	if err != nil || m.buf.Len() == 0 {
		return nil, false, err
	}
	return bytes.Clone(m.buf.Bytes()), join, nil
}

func (m *muxer) writeVideo(t *muxTrack, au [][]byte, pts int64) (bool, error) {
	v := t.video
	key, inBand := v.scan(au)
	if !v.ready() {
		if !key {
			return false, nil
		}
		v.dts264, v.dts265 = &h264.DTSExtractor{}, &h265.DTSExtractor{}
		v.dts264.Initialize()
		v.dts265.Initialize()
	}
	if key {
		au = v.withParams(au, inBand)
	}
	var dts int64
	var err error
	if v.h265 {
		dts, err = v.dts265.Extract(au, pts)
	} else {
		dts, err = v.dts264.Extract(au, pts)
	}
	if err != nil {
		// A stream the extractor cannot follow: start over at the next keyframe.
		v.dts264, v.dts265 = nil, nil
		return false, nil
	}
	m.started = true
	if v.h265 {
		err = m.w.WriteH265(t.track, pts, dts, au)
	} else {
		err = m.w.WriteH264(t.track, pts, dts, au)
	}
	return key, err
}

func (v *videoState) ready() bool { return v.dts264 != nil }

// scan reports whether au is a keyframe, records its parameter sets and
// which of them it carries.
func (v *videoState) scan(au [][]byte) (key bool, inBand [3]bool) {
	if v.h265 {
		for _, n := range au {
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				v.params[0], inBand[0] = bytes.Clone(n), true
			case h265.NALUType_SPS_NUT:
				v.params[1], inBand[1] = bytes.Clone(n), true
			case h265.NALUType_PPS_NUT:
				v.params[2], inBand[2] = bytes.Clone(n), true
			}
		}
		return h265.IsRandomAccess(au), inBand
	}
	for _, n := range au {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			v.params[1], inBand[1] = bytes.Clone(n), true
		case h264.NALUTypePPS:
			v.params[2], inBand[2] = bytes.Clone(n), true
		case h264.NALUTypeIDR:
			key = true
		}
	}
	return key, inBand
}

// withParams puts the parameter sets a keyframe lacks in front of it (after
// an access unit delimiter, if any).
func (v *videoState) withParams(au [][]byte, inBand [3]bool) [][]byte {
	var missing [][]byte
	for i, p := range v.params {
		if len(p) > 0 && !inBand[i] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return au
	}
	out := make([][]byte, 0, len(au)+len(missing))
	if isAUD(au[0], v.h265) {
		out = append(out, au[0])
		au = au[1:]
	}
	out = append(out, missing...)
	return append(out, au...)
}

func isAUD(n []byte, hevc bool) bool {
	if hevc {
		return h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_AUD_NUT
	}
	return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter
}
