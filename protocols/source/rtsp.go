package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// ParseRange is the Range header of an RTSP source's PLAY from
// rtspRangeType and rtspRangeStart (MediaMTX's formats: clock is
// 20060102T150405Z, npt and smpte a Go duration); nil for no Range.
func ParseRange(typ, start string) (*headers.Range, error) {
	switch typ {
	case "", "none":
		return nil, nil
	case "clock":
		t, err := time.Parse("20060102T150405Z", start)
		if err != nil {
			return nil, fmt.Errorf("clock start: want 20060102T150405Z, got %q", start)
		}
		return &headers.Range{Value: &headers.RangeUTC{Start: t}}, nil
	case "npt", "smpte":
		d, err := time.ParseDuration(start)
		if err != nil {
			return nil, fmt.Errorf("%s start: want a duration such as 30s, got %q", typ, start)
		}
		if typ == "npt" {
			return &headers.Range{Value: &headers.RangeNPT{Start: d}}, nil
		}
		return &headers.Range{Value: &headers.RangeSMPTE{Start: headers.RangeSMPTETime{Time: d}}}, nil
	}
	return nil, fmt.Errorf("unknown range type %q", typ)
}

// rtspProtocol maps rtspTransport to gortsplib's (nil: automatic).
func rtspProtocol(t string) *gortsplib.Protocol {
	var p gortsplib.Protocol
	switch t {
	case "udp":
		p = gortsplib.ProtocolUDP
	case "multicast":
		p = gortsplib.ProtocolUDPMulticast
	case "tcp":
		p = gortsplib.ProtocolTCP
	default:
		return nil
	}
	return &p
}

// runRTSP reads an RTSP camera: DESCRIBE (credentials from the URL, Basic
// or Digest as the camera asks: gortsplib answers its challenge), SETUP of
// every track, PLAY; packets become hub units as an RTSP publisher's.
func runRTSP(ctx context.Context, s *session) error {
	o := s.r.opts
	u, err := base.ParseURL(o.URL)
	if err != nil {
		return err
	}
	ra, err := ParseRange(o.RTSPRangeType, o.RTSPRangeStart)
	if err != nil {
		return err
	}
	c := &gortsplib.Client{
		Scheme:        u.Scheme,
		Host:          u.Host,
		ReadTimeout:   o.ReadTimeout,
		WriteTimeout:  o.WriteTimeout,
		Protocol:      rtspProtocol(o.RTSPTransport),
		AnyPortEnable: o.RTSPAnyPort,
		OnDecodeError: func(err error) { s.r.logger.Debug("rtsp source decode error", "error", err) },
	}
	if u.Scheme == "rtsps" {
		c.TLSConfig = tlsConfig(o.Fingerprint)
		if o.TLS != nil {
			c.TLSConfig = o.TLS.Clone()
		}
	}
	if err := c.Start(); err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	desc, _, err := c.Describe(u)
	if err != nil {
		return err
	}
	var medias []*description.Media
	for _, m := range desc.Medias {
		if m.IsBackChannel {
			continue
		}
		if _, err := c.Setup(desc.BaseURL, m, 0, 0); err != nil {
			return err
		}
		medias = append(medias, m)
	}
	if len(medias) == 0 {
		return errors.New("source: the camera offered no track")
	}
	p, err := s.publish(&description.Session{Title: desc.Title, Medias: medias})
	if err != nil {
		return err
	}
	for _, m := range medias {
		for _, f := range m.Formats {
			rtspForward(s, c, p, m, f)
		}
	}
	if _, err := c.Play(ra); err != nil {
		return err
	}
	return c.Wait()
}

// rtspForward routes one format's packets to p: decoded access units for
// the codecs the hub decodes, the packets as they are for the others.
func rtspForward(s *session, c *gortsplib.Client, p *stream.Publication, m *description.Media, f format.Format) {
	decode := stream.RTPDecoder(f)
	c.OnPacketRTP(m, f, func(pkt *rtp.Packet) {
		// gortsplib's reading goroutine: a panic ends this connection only.
		defer panics.Recover(s.r.logger, "source", c.Close)
		pts, ok := c.PacketPTS(m, pkt)
		if decode == nil {
			if ok {
				p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: pts, RTP: pkt})
			}
			return
		}
		au, err := decode(pkt)
		if err != nil || au == nil || !ok {
			return
		}
		p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: pts, AU: au})
	})
}
