package rtsp

import (
	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// forwardsPackets reports whether this listener hands p's RTP packets to
// its RTSP readers as they came (a plain RTSP publisher on this listener)
// rather than packetizing the hub's units again.
func (s *Server) forwardsPackets(p *stream.Publication) bool {
	return p.Source.Protocol == "rtsp" && p.Source.Listener == s.cfg.Name && s.cfg.TLS == nil
}

func (s *Server) forward(ss *gortsplib.ServerSession, p *stream.Publication, st *gortsplib.ServerStream, medi *description.Media, forma format.Format) {
	decode := stream.RTPDecoder(forma)
	// The packets of an access unit being received: RTSP readers get them
	// once the unit is complete, after the hub (and so the Savant output),
	// so that the fan-out to many readers does not delay the unit on its
	// way to Savant. A reader cannot decode a unit before its last packet
	// anyway.
	var pending []*rtp.Packet
	flush := func() {
		if st != nil {
			for _, pkt := range pending {
				_ = st.WritePacketRTP(medi, pkt)
			}
		}
		clear(pending)
		pending = pending[:0]
	}
	// The callback runs in gortsplib's reading goroutine — for UDP, the one
	// every session shares: a panic ends this session only.
	end := ss.Close
	ss.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		defer panics.Recover(s.logger, "rtsp", end)
		if decode == nil {
			if st != nil {
				_ = st.WritePacketRTP(medi, pkt)
			}
			if pts, ok := ss.PacketPTS(medi, pkt); ok {
				p.WriteUnit(&stream.Unit{Media: medi, Format: forma, PTS: pts, RTP: pkt})
			}
			return
		}
		pending = append(pending, pkt)
		// PacketPTS sees every packet: it starts at a keyframe's first.
		pts, ok := ss.PacketPTS(medi, pkt)
		if !ok {
			flush() // before the first keyframe
			return
		}
		au, err := decode(pkt)
		if err != nil || au == nil {
			if len(pending) >= maxPendingPackets {
				flush() // a unit too long to hold back
			}
			return
		}
		p.WriteUnit(&stream.Unit{Media: medi, Format: forma, PTS: pts, RTP: pkt, AU: au})
		flush()
	})
}

// maxPendingPackets bounds the packets of one access unit held back from
// RTSP readers until the unit is complete.
const maxPendingPackets = 1024

// feedFromUnits fills an RTSP fan-out from the hub's units: access units
// encoded to RTP, and the packets of formats the hub does not decode as
// they came (an RTSP publisher's).
func feedFromUnits(name string, p *stream.Publication, st *gortsplib.ServerStream) {
	encoders := map[format.Format]func([][]byte) ([]*rtp.Packet, error){}
	for _, m := range p.Desc.Medias {
		for _, f := range m.Formats {
			if enc := stream.RTPEncoder(f); enc != nil {
				encoders[f] = enc
			}
		}
	}
	p.AddSink(name, 1024, func(u *stream.Unit) {
		if u.AU == nil && u.RTP != nil {
			// A copy: the server stream sets the SSRC, and the publisher's
			// own fan-out writes the same packet.
			pkt := *u.RTP
			_ = st.WritePacketRTP(u.Media, &pkt)
			return
		}
		enc := encoders[u.Format]
		if enc == nil || u.AU == nil {
			return
		}
		pkts, err := enc(u.AU)
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			pkt.Timestamp = uint32(u.PTS)
			_ = st.WritePacketRTP(u.Media, pkt)
		}
	}, nil)
}

// transportAllowed applies rtspTransports to a SETUP.
