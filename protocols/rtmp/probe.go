package rtmp

import (
	"fmt"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
)

// analyzePeriod is gortmplib's track probing period (reader.go, a constant
// of v0.3.0): Reader.Initialize reads media until the DTS has advanced this
// much, whatever the publisher announced.
const analyzePeriod = 2 * time.Second

// probeConn shortens gortmplib's track probing. Reader.Initialize reads a
// publisher's media until 2 s of DTS have passed (analyzePeriod), which made
// an RTMP publisher readable 2.3 s after it connected (RTSP: 0.25 s). Most
// publishers (ffmpeg, OBS, GStreamer flvmux) announce their codecs first, in
// onMetaData (videocodecid, audiocodecid). Once every announced track's
// configuration has been read, probeConn hands the Reader one marker message
// whose DTS is the first media DTS + analyzePeriod, which ends the probe; the
// marker is recorded by the Reader's rewinding and dropped again when it is
// replayed (skipMarker). Without onMetaData, with a codec announced but
// never configured, or with multitrack streams, nothing changes: gortmplib
// probes the full period.
type probeConn struct {
	gortmplib.Conn

	metadata             bool // onMetaData seen
	wantVideo, wantAudio bool // announced in it
	haveVideo, haveAudio bool // configuration read
	multitrack           bool
	first                bool // a message that starts gortmplib's clock was seen
	firstDTS             time.Duration

	marker *message.Video // once ready; sent once, then passthrough
	sent   bool

	base uint64 // BytesReceived when the probe started
	done bool   // Reader.Initialize returned
}

// maxProbeBytes bounds what a publisher may send while gortmplib looks for
// its tracks: the Reader keeps every message of the probe to replay it (up
// to 5000 messages of up to 10 MiB each, however little the DTS advances).
// Two seconds of a 100 Mbit/s stream are 25 MB.
const maxProbeBytes = 64 << 20

var errProbeBytes = fmt.Errorf("rtmp: more than %d bytes before the tracks were found", maxProbeBytes)

// Read passes the publisher's messages on and, once the announced tracks are
// configured, the marker.
func (p *probeConn) Read() (message.Message, error) {
	if p.marker != nil && !p.sent {
		p.sent = true
		return p.marker, nil
	}
	msg, err := p.Conn.Read()
	if err != nil || p.marker != nil || p.done {
		return msg, err
	}
	if p.Conn.BytesReceived()-p.base > maxProbeBytes {
		return nil, errProbeBytes
	}
	p.observe(msg)
	if p.ready() {
		p.marker = &message.Video{DTS: p.firstDTS + analyzePeriod, Codec: message.CodecH264, Type: message.VideoTypeAU}
	}
	return msg, nil
}

func (p *probeConn) ready() bool {
	return p.metadata && p.first && !p.multitrack && (p.wantVideo || p.wantAudio) &&
		(!p.wantVideo || p.haveVideo) && (!p.wantAudio || p.haveAudio)
}

// start mirrors when gortmplib's probe starts its clock.
func (p *probeConn) start(dts time.Duration) {
	if !p.first {
		p.first, p.firstDTS = true, dts
	}
}

func (p *probeConn) observe(msg message.Message) {
	switch m := msg.(type) {
	case *message.DataAMF0:
		p.onMetaData(m.Payload)
	case *message.Video:
		p.start(m.DTS)
		if m.Type == message.VideoTypeConfig {
			p.haveVideo = true
		}
	case *message.VideoExSequenceStart:
		p.haveVideo = true
	case *message.VideoExCodedFrames:
		p.start(m.DTS)
	case *message.VideoExFramesX:
		p.start(m.DTS)
	case *message.Audio:
		p.start(m.DTS)
		// AAC needs its configuration; other codecs are known from any frame.
		if m.Codec != message.CodecMPEG4Audio || (m.AACType == message.AudioAACTypeConfig && m.AACConfig != nil) {
			p.haveAudio = true
		}
	case *message.AudioExCodedFrames:
		p.start(m.DTS)
		p.haveAudio = true
	case *message.VideoExMultitrack, *message.AudioExMultitrack:
		p.multitrack = true
	}
}

// onMetaData reads "[@setDataFrame,] onMetaData, {videocodecid, audiocodecid}";
// a codec id that is absent or 0 announces no track of that kind (gortmplib's
// own writer sends audiocodecid 0 for none; FLV's codec 0, LPCM, is not
// supported by gortmplib).
func (p *probeConn) onMetaData(data amf0.Data) {
	if len(data) > 0 && data[0] == "@setDataFrame" {
		data = data[1:]
	}
	if len(data) < 2 || data[0] != "onMetaData" {
		return
	}
	var obj amf0.Object
	switch o := data[1].(type) {
	case amf0.Object:
		obj = o
	case amf0.ECMAArray:
		obj = amf0.Object(o)
	default:
		return
	}
	p.metadata = true
	p.wantVideo = announced(obj, "videocodecid")
	p.wantAudio = announced(obj, "audiocodecid")
}

func announced(obj amf0.Object, key string) bool {
	v, ok := obj.Get(key)
	if !ok {
		return false
	}
	switch x := v.(type) {
	case float64:
		return x != 0
	case string:
		return x != "" && x != "0"
	}
	return true
}

// skipMarker drops the probe's marker from what the Reader replays.
type skipMarker struct {
	gortmplib.Conn
	probe *probeConn
}

// Read returns the next message other than the marker.
func (s *skipMarker) Read() (message.Message, error) {
	for {
		msg, err := s.Conn.Read()
		if err != nil {
			return nil, err
		}
		if v, ok := msg.(*message.Video); ok && s.probe.marker != nil && v == s.probe.marker {
			continue
		}
		return msg, nil
	}
}

// newReader initializes a gortmplib Reader over conn with the shortened
// probe.
func newReader(conn gortmplib.Conn) (*gortmplib.Reader, error) {
	p := &probeConn{Conn: conn, base: conn.BytesReceived()}
	r := &gortmplib.Reader{Conn: p}
	err := r.Initialize()
	p.done = true
	if err != nil {
		return nil, err
	}
	r.Conn = &skipMarker{Conn: r.Conn, probe: p}
	return r, nil
}
