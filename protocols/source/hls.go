package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// errHLSStalled: the origin gave no new media for ReadTimeout (its
// playlist stopped advancing, or a download hangs); gohlslib's client
// would keep reloading the playlist forever.
var errHLSStalled = errors.New("source: the HLS origin gave no new media")

// runHLS reads an HLS origin with gohlslib's client (credentials in the URL
// go as Basic authentication, as net/http does); H.264, H.265, AAC and Opus
// tracks are published. A watchdog ends the session when no new media has
// come for ReadTimeout. Every response passes mp4GuardTransport before
// gohlslib parses it.
func runHLS(ctx context.Context, s *session) error {
	o := s.r.opts
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: tlsConfig(o.Fingerprint), ResponseHeaderTimeout: o.ReadTimeout,
		Proxy: http.ProxyFromEnvironment}
	defer tr.CloseIdleConnections()
	c := &gohlslib.Client{
		URI:        o.URL,
		HTTPClient: &http.Client{Jar: jar, Transport: mp4GuardTransport{tr}},
		// gohlslib logs every download with its URL by default: quiet.
		OnDownloadPrimaryPlaylist: func(string) {},
		OnDownloadStreamPlaylist:  func(string) {},
		OnDownloadSegment:         func(string) {},
		OnDownloadPart:            func(string) {},
		OnDecodeError:             func(err error) { s.r.logger.Debug("hls source decode error", "error", err) },
	}
	end := func() { go c.Close() } // a panic in a callback: from the client's own goroutine
	var last atomic.Int64          // unix nanoseconds of the latest media
	last.Store(time.Now().UnixNano())
	media := func() { last.Store(time.Now().UnixNano()) }
	c.OnTracks = func(tracks []*gohlslib.Track) (err error) {
		defer panics.Recover(s.r.logger, "source", func() { err = errPanicked })
		return hlsPublish(s, c, tracks, end, media)
	}
	if err := c.Start(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	defer c.Close()
	stalled := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer panics.Recover(s.r.logger, "source", c.Close)
		if o.ReadTimeout <= 0 {
			return
		}
		tick := time.NewTicker(max(o.ReadTimeout/4, 50*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if time.Since(time.Unix(0, last.Load())) > o.ReadTimeout {
					close(stalled)
					c.Close()
					return
				}
			}
		}
	}()
	err := c.Wait2()
	select {
	case <-stalled:
		return fmt.Errorf("%w for %v", errHLSStalled, o.ReadTimeout)
	default:
		return err
	}
}

// hlsPublish publishes the tracks gohlslib found and routes their data;
// media is called for each piece of it (the stall watchdog).
func hlsPublish(s *session, c *gohlslib.Client, tracks []*gohlslib.Track, end, media func()) error {
	desc, routes := trackMedias(tracks, hlsFormat)
	p, err := s.publish(desc)
	if err != nil {
		return err
	}
	for _, rt := range routes {
		m, f, t := rt.m, rt.m.Formats[0], rt.t
		write := func(u *stream.Unit) {
			media()
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

// hlsFormat is the format and media type of a track gohlslib found; nil
// for a codec the source does not publish.
func hlsFormat(t *gohlslib.Track) (format.Format, description.MediaType) {
	switch cd := t.Codec.(type) {
	case *codecs.H264:
		return &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: cd.SPS, PPS: cd.PPS}, description.MediaTypeVideo
	case *codecs.H265:
		return &format.H265{PayloadTyp: 96, VPS: cd.VPS, SPS: cd.SPS, PPS: cd.PPS}, description.MediaTypeVideo
	case *codecs.MPEG4Audio:
		cfg := cd.Config
		return &format.MPEG4Audio{PayloadTyp: 96, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3, Config: &cfg},
			description.MediaTypeAudio
	case *codecs.Opus:
		return &format.Opus{PayloadTyp: 96, ChannelCount: max(cd.ChannelCount, 1)}, description.MediaTypeAudio
	}
	return nil, ""
}
