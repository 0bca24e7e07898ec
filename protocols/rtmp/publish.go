package rtmp

import (
	"bytes"
	"errors"
	"slices"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/stream"
)

// analyzeTimeout bounds how long the tracks may take to show up: gortmplib
// reads about two seconds of media to find them.
const analyzeTimeout = 5 * time.Second

var errNoTracks = errors.New("rtmp: the stream has no supported track (H264, H265, AV1, VP9, AAC, Opus)")

// publish receives the client's media: the tracks are found from the FLV
// sequence headers, then every access unit goes to the hub.
func (c *conn) publish(id *authn.Identity) error {
	hub := c.srv.hub
	np, err := hub.PathConf(c.target.Path)
	if err != nil {
		return c.refuse(hubRejection(err), err)
	}
	if _, err := hub.Get(c.target.Path); err == nil && !np.OverridePublisher {
		return c.refuse(hubRejection(stream.ErrBusy), stream.ErrBusy)
	}
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if err := c.sess.startPublish(); err != nil {
		return err
	}
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.ReadTimeout + analyzeTimeout))
	r, err := newReader(c.sess)
	if err != nil {
		return err
	}
	in := &ingest{}
	desc := in.describe(r.Tracks())
	if len(desc.Medias) == 0 {
		return errNoTracks
	}
	p, err := hub.Publish(c.target.Path, desc, stream.SourceInfo{Protocol: "rtmp", Listener: c.srv.cfg.Name, ID: c.id, User: id.User,
		Type: c.srv.cfg.Name + "Conn", Query: c.target.Query})
	if err != nil {
		return err // the client was told to start already; closing is the answer
	}
	defer p.Close()
	c.srv.cfg.Metrics.sessions.WithLabelValues("publish").Inc()
	defer c.srv.cfg.Metrics.sessions.WithLabelValues("publish").Dec()
	in.attach(r, p)
	go func() { <-p.Done(); _ = c.nc.Close() }() // another publisher took over
	for {
		_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.ReadTimeout))
		if err := r.Read(); err != nil {
			return err
		}
	}
}

// ingest maps the tracks of an RTMP publisher to hub medias.
type ingest struct {
	tracks []*gortmplib.Track
	medias []*description.Media
}

// describe builds the session description; tracks of other codecs are left out.
func (in *ingest) describe(tracks []*gortmplib.Track) *description.Session {
	for _, t := range tracks {
		f := formatOf(t.Codec)
		if f == nil {
			continue
		}
		typ := description.MediaTypeAudio
		if t.Codec.IsVideo() {
			typ = description.MediaTypeVideo
		}
		in.tracks = append(in.tracks, t)
		in.medias = append(in.medias, &description.Media{Type: typ, Formats: []format.Format{f}})
	}
	return &description.Session{Medias: in.medias}
}

func formatOf(c codecs.Codec) format.Format {
	switch c := c.(type) {
	case *codecs.H264:
		return &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: c.SPS, PPS: c.PPS}
	case *codecs.H265:
		return &format.H265{PayloadTyp: 96, VPS: c.VPS, SPS: c.SPS, PPS: c.PPS}
	case *codecs.AV1:
		return &format.AV1{PayloadTyp: 96}
	case *codecs.VP9:
		return &format.VP9{PayloadTyp: 96}
	case *codecs.MPEG4Audio:
		return &format.MPEG4Audio{PayloadTyp: 96, ProfileLevelID: 1, Config: c.Config,
			SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
	case *codecs.Opus:
		return &format.Opus{PayloadTyp: 96, ChannelCount: c.ChannelCount}
	}
	return nil
}

// attach routes each track's data to the publication as units, PTS in the
// format's clock rate; the data of tracks left out is dropped.
func (in *ingest) attach(r *gortmplib.Reader, p *stream.Publication) {
	for _, t := range r.Tracks() {
		if !slices.Contains(in.tracks, t) {
			discard(r, t)
		}
	}
	for i, t := range in.tracks {
		m := in.medias[i]
		f := m.Formats[0]
		write := func(pts time.Duration, au [][]byte) {
			p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: toClock(pts, f.ClockRate()), AU: au})
		}
		writeVideo := func(pts, dts time.Duration, au [][]byte) {
			rate := f.ClockRate()
			p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: toClock(pts, rate), DTS: toClock(dts, rate), HasDTS: true, AU: au})
		}
		switch f := f.(type) {
		case *format.H264:
			r.OnDataH264(t, func(pts, dts time.Duration, au [][]byte) {
				if h264Params(f, au) {
					writeVideo(pts, dts, au)
				}
			})
		case *format.H265:
			r.OnDataH265(t, func(pts, dts time.Duration, au [][]byte) {
				if h265Params(f, au) {
					writeVideo(pts, dts, au)
				}
			})
		case *format.AV1:
			r.OnDataAV1(t, func(pts time.Duration, tu [][]byte) {
				if tu = withoutTemporalDelimiters(tu); len(tu) > 0 {
					write(pts, tu)
				}
			})
		case *format.VP9:
			r.OnDataVP9(t, func(pts time.Duration, frame []byte) { write(pts, [][]byte{frame}) })
		case *format.MPEG4Audio:
			r.OnDataMPEG4Audio(t, func(pts time.Duration, au []byte) { write(pts, [][]byte{au}) })
		case *format.Opus:
			r.OnDataOpus(t, func(pts time.Duration, pkt []byte) { write(pts, [][]byte{pkt}) })
		}
	}
}

// discard drops the data of a track of a codec the hub does not carry.
// gortmplib's Reader calls the callback of every track it found; one never
// registered is a nil function call (a panic ending the connection).
func discard(r *gortmplib.Reader, t *gortmplib.Track) {
	switch t.Codec.(type) {
	case *codecs.MPEG1Audio:
		r.OnDataMPEG1Audio(t, func(time.Duration, []byte) {})
	case *codecs.AC3:
		r.OnDataAC3(t, func(time.Duration, []byte) {})
	case *codecs.G711:
		r.OnDataG711(t, func(time.Duration, []byte) {})
	case *codecs.LPCM:
		r.OnDataLPCM(t, func(time.Duration, []byte) {})
	}
}

// h264Params keeps the format's SPS/PPS current from in-band parameter sets
// (a new sequence header arrives as an AU of SPS and PPS only) and reports
// whether au holds a picture worth passing on.
func h264Params(f *format.H264, au [][]byte) bool {
	sps, pps := f.SafeParams()
	changed, picture := false, false
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch typ := h264.NALUType(n[0] & 0x1f); {
		case typ == h264.NALUTypeSPS && !bytes.Equal(sps, n):
			sps, changed = append([]byte(nil), n...), true
		case typ == h264.NALUTypePPS && !bytes.Equal(pps, n):
			pps, changed = append([]byte(nil), n...), true
		case typ >= h264.NALUTypeNonIDR && typ <= h264.NALUTypeIDR:
			picture = true
		}
	}
	if changed {
		f.SafeSetParams(sps, pps)
	}
	return picture
}

func h265Params(f *format.H265, au [][]byte) bool {
	vps, sps, pps := f.SafeParams()
	changed, picture := false, false
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch typ := h265.NALUType((n[0] >> 1) & 0x3f); {
		case typ == h265.NALUType_VPS_NUT && !bytes.Equal(vps, n):
			vps, changed = append([]byte(nil), n...), true
		case typ == h265.NALUType_SPS_NUT && !bytes.Equal(sps, n):
			sps, changed = append([]byte(nil), n...), true
		case typ == h265.NALUType_PPS_NUT && !bytes.Equal(pps, n):
			pps, changed = append([]byte(nil), n...), true
		case typ < h265.NALUType_VPS_NUT:
			picture = true
		}
	}
	if changed {
		f.SafeSetParams(vps, sps, pps)
	}
	return picture
}

// withoutTemporalDelimiters drops the temporal delimiter OBUs an enhanced
// RTMP AV1 frame starts with (gortmplib's writer, ffmpeg and OBS put one in
// front): the hub's AV1 units are temporal units without them, as RTP
// carries them (RTP AV1 payload format, section 5) and readers add their
// own.
func withoutTemporalDelimiters(tu [][]byte) [][]byte {
	out := tu[:0]
	for _, obu := range tu {
		if len(obu) > 0 && av1.OBUType((obu[0]>>3)&0x0f) != av1.OBUTypeTemporalDelimiter {
			out = append(out, obu)
		}
	}
	return out
}

// toClock converts a duration to units of a clock rate without overflowing
// for long streams.
func toClock(d time.Duration, rate int) int64 {
	r := int64(rate)
	return int64(d/time.Second)*r + int64(d%time.Second)*r/int64(time.Second)
}

// fromClock converts a timestamp in units of a clock rate to a duration.
func fromClock(v int64, rate int) time.Duration {
	r := int64(rate)
	return time.Duration(v/r)*time.Second + time.Duration(v%r)*time.Second/time.Duration(r)
}
