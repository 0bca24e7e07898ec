package source

import (
	"context"
	"net/http"
	"net/http/cookiejar"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// runHLS reads an HLS origin with gohlslib's client (credentials in the URL
// go as Basic authentication, as net/http does); H.264, H.265, AAC and Opus
// tracks are published.
func runHLS(ctx context.Context, s *session) error {
	o := s.r.opts
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: tlsConfig(o.Fingerprint), ResponseHeaderTimeout: o.ReadTimeout,
		Proxy: http.ProxyFromEnvironment}
	defer tr.CloseIdleConnections()
	c := &gohlslib.Client{
		URI:        o.URL,
		HTTPClient: &http.Client{Jar: jar, Transport: tr},
		// gohlslib logs every download with its URL by default: quiet.
		OnDownloadPrimaryPlaylist: func(string) {},
		OnDownloadStreamPlaylist:  func(string) {},
		OnDownloadSegment:         func(string) {},
		OnDownloadPart:            func(string) {},
		OnDecodeError:             func(err error) { s.r.logger.Debug("hls source decode error", "error", err) },
	}
	end := func() { go c.Close() } // a panic in a callback: from the client's own goroutine
	c.OnTracks = func(tracks []*gohlslib.Track) (err error) {
		defer panics.Recover(s.r.logger, "source", func() { err = errPanicked })
		return hlsPublish(s, c, tracks, end)
	}
	if err := c.Start(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	defer c.Close()
	return c.Wait2()
}

// hlsPublish publishes the tracks gohlslib found and routes their data.
func hlsPublish(s *session, c *gohlslib.Client, tracks []*gohlslib.Track, end func()) error {
	desc := &description.Session{}
	type route struct {
		t *gohlslib.Track
		m *description.Media
	}
	var routes []route
	for _, t := range tracks {
		var f format.Format
		typ := description.MediaTypeVideo
		switch cd := t.Codec.(type) {
		case *codecs.H264:
			f = &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: cd.SPS, PPS: cd.PPS}
		case *codecs.H265:
			f = &format.H265{PayloadTyp: 96, VPS: cd.VPS, SPS: cd.SPS, PPS: cd.PPS}
		case *codecs.MPEG4Audio:
			cfg := cd.Config
			f = &format.MPEG4Audio{PayloadTyp: 96, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3, Config: &cfg}
			typ = description.MediaTypeAudio
		case *codecs.Opus:
			f = &format.Opus{PayloadTyp: 96, ChannelCount: max(cd.ChannelCount, 1)}
			typ = description.MediaTypeAudio
		default:
			continue
		}
		m := &description.Media{Type: typ, Formats: []format.Format{f}}
		desc.Medias = append(desc.Medias, m)
		routes = append(routes, route{t, m})
	}
	p, err := s.publish(desc)
	if err != nil {
		return err
	}
	for _, rt := range routes {
		m, f, t := rt.m, rt.m.Formats[0], rt.t
		write := func(u *stream.Unit) {
			p.WriteUnit(u)
		}
		switch f.(type) {
		case *format.H264, *format.H265:
			c.OnDataH26x(t, func(pts, dts int64, au [][]byte) {
				defer panics.Recover(s.r.logger, "source", end)
				write(&stream.Unit{Media: m, Format: f, PTS: pts, DTS: dts, HasDTS: true, AU: au})
			})
		case *format.MPEG4Audio:
			c.OnDataMPEG4Audio(t, func(pts int64, aus [][]byte) {
				defer panics.Recover(s.r.logger, "source", end)
				for i, au := range aus {
					write(&stream.Unit{Media: m, Format: f, PTS: pts + int64(i)*mpeg4audio.SamplesPerAccessUnit, AU: [][]byte{au}})
				}
			})
		case *format.Opus:
			c.OnDataOpus(t, func(pts int64, packets [][]byte) {
				defer panics.Recover(s.r.logger, "source", end)
				for _, pkt := range packets {
					write(&stream.Unit{Media: m, Format: f, PTS: pts, AU: [][]byte{pkt}})
					pts += opus.PacketDuration2(pkt)
				}
			})
		}
	}
	return nil
}
