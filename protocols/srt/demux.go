package srt

import (
	"bytes"
	"io"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/streamgate/streamgate/protocols/stream"
)

// demuxer turns the MPEG-TS a publisher sends into hub units: H.264 and
// H.265 access units (PTS in 90 kHz, parameter sets also copied into the
// track's format so that RTSP readers get them in the SDP), AAC access
// units and Opus packets, one a unit (PTS in the sample rate).
type demuxer struct {
	r    *mpegts.Reader
	desc *description.Session
	// write receives every unit; set before the first Read.
	write func(*stream.Unit)
	// td unwraps the 33-bit timestamps, one decoder for all tracks so that
	// they stay in sync.
	td mpegts.TimeDecoder
	// onError counts decode errors.
	onError func(error)
}

// newDemuxer reads r until the program's tracks are known.
func newDemuxer(r io.Reader, onError func(error)) (*demuxer, error) {
	d := &demuxer{r: &mpegts.Reader{R: r}, desc: &description.Session{}, write: func(*stream.Unit) {}, onError: onError}
	if err := d.r.Initialize(); err != nil {
		return nil, err
	}
	d.r.OnDecodeError(onError)
	for _, t := range d.r.Tracks() {
		if m := d.track(t); m != nil {
			d.desc.Medias = append(d.desc.Medias, m)
		}
	}
	if len(d.desc.Medias) == 0 {
		return nil, ErrNoTracks
	}
	return d, nil
}

// Read demuxes the next packet, calling write for each complete unit.
func (d *demuxer) Read() error { return d.r.Read() }

func (d *demuxer) pts(v int64) int64 { return d.td.Decode(v) }

func (d *demuxer) track(t *mpegts.Track) *description.Media {
	switch c := t.Codec.(type) {
	case *tscodecs.H264:
		f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
		m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		d.r.OnDataH264(t, d.onVideo(m, func(au [][]byte) { updateH264Params(f, au) }))
		return m
	case *tscodecs.H265:
		f := &format.H265{PayloadTyp: 96}
		m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		d.r.OnDataH265(t, d.onVideo(m, func(au [][]byte) { updateH265Params(f, au) }))
		return m
	case *tscodecs.MPEG4Audio:
		cfg := c.Config
		f := &format.MPEG4Audio{PayloadTyp: 96, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3, Config: &cfg}
		m := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
		rate := int64(cfg.SampleRate)
		if rate <= 0 {
			return nil
		}
		// One unit per access unit, each with its own PTS: RTP readers get
		// one AU per packet and monotonic timestamps.
		d.r.OnDataMPEG4Audio(t, func(pts int64, aus [][]byte) error {
			p := rescale(d.pts(pts), 90000, rate)
			for _, au := range aus {
				d.write(&stream.Unit{Media: m, Format: f, PTS: p, AU: [][]byte{au}})
				p += mpeg4audio.SamplesPerAccessUnit
			}
			return nil
		})
		return m
	case *tscodecs.Opus:
		channels := 2
		if c.Desc != nil {
			channels = c.Desc.ChannelCount()
		}
		f := &format.Opus{PayloadTyp: 96, ChannelCount: max(channels, 1)}
		m := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
		d.r.OnDataOpus(t, func(pts int64, packets [][]byte) error {
			p := rescale(d.pts(pts), 90000, 48000)
			for _, pkt := range packets {
				d.write(&stream.Unit{Media: m, Format: f, PTS: p, AU: [][]byte{pkt}})
				p += opus.PacketDuration2(pkt)
			}
			return nil
		})
		return m
	}
	return nil
}

// onVideo is the callback of a video track of media m (one format): it
// drops empty NAL units, lets update take in-band parameter sets from the
// access unit, and writes it with its PTS and DTS.
func (d *demuxer) onVideo(m *description.Media, update func(au [][]byte)) func(pts, dts int64, au [][]byte) error {
	f := m.Formats[0]
	return func(pts, dts int64, au [][]byte) error {
		au = nonEmpty(au)
		if len(au) == 0 {
			return nil
		}
		update(au)
		d.write(&stream.Unit{Media: m, Format: f, PTS: d.pts(pts), DTS: d.pts(dts), HasDTS: true, AU: au})
		return nil
	}
}

// updateH264Params copies in-band SPS/PPS into the format when they change.
func updateH264Params(f *format.H264, au [][]byte) {
	sps, pps := f.SafeParams()
	newSPS, newPPS := sps, pps
	for _, n := range au {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			newSPS = n
		case h264.NALUTypePPS:
			newPPS = n
		}
	}
	if !bytes.Equal(sps, newSPS) || !bytes.Equal(pps, newPPS) {
		f.SafeSetParams(bytes.Clone(newSPS), bytes.Clone(newPPS))
	}
}

// updateH265Params copies in-band VPS/SPS/PPS into the format when they change.
func updateH265Params(f *format.H265, au [][]byte) {
	vps, sps, pps := f.SafeParams()
	nv, ns, np := vps, sps, pps
	for _, n := range au {
		switch h265.NALUType((n[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			nv = n
		case h265.NALUType_SPS_NUT:
			ns = n
		case h265.NALUType_PPS_NUT:
			np = n
		}
	}
	if !bytes.Equal(vps, nv) || !bytes.Equal(sps, ns) || !bytes.Equal(pps, np) {
		f.SafeSetParams(bytes.Clone(nv), bytes.Clone(ns), bytes.Clone(np))
	}
}

// nonEmpty drops empty NALUs.
func nonEmpty(au [][]byte) [][]byte {
	for _, n := range au {
		if len(n) == 0 {
			out := make([][]byte, 0, len(au))
			for _, n := range au {
				if len(n) > 0 {
					out = append(out, n)
				}
			}
			return out
		}
	}
	return au
}

// rescale converts v from one clock rate to another, to the nearest tick,
// without overflowing.
func rescale(v, from, to int64) int64 {
	r := (v%from)*to + from/2
	if v < 0 {
		r -= from - 1
	}
	return (v/from)*to + r/from
}
