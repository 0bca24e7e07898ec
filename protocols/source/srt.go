package source

import (
	"context"
	"io"
	"time"

	srt "github.com/datarhei/gosrt"

	psrt "github.com/streamgate/streamgate/protocols/srt"
)

// runSRT calls an SRT listener (streamid, passphrase and the other SRT
// options from the URL's query, as MediaMTX) and reads its MPEG-TS.
func runSRT(ctx context.Context, s *session) error {
	o := s.r.opts
	conf := srt.DefaultConfig()
	address, err := conf.UnmarshalURL(o.URL)
	if err != nil {
		return err
	}
	if err := conf.Validate(); err != nil {
		return err
	}
	conn, err := srt.Dial("srt", address, conf)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	return s.runTS(&deadlineReader{r: conn, set: conn.SetReadDeadline, timeout: o.ReadTimeout})
}

// runTS publishes the MPEG-TS read from r, demuxed as an SRT publisher's.
func (s *session) runTS(r io.Reader) error {
	dm, err := psrt.NewTSDemuxer(r, func(err error) {
		s.r.logger.Debug("mpeg-ts decode error", "error", err)
	})
	if err != nil {
		return err
	}
	p, err := s.publish(dm.Desc())
	if err != nil {
		return err
	}
	return dm.Run(p.WriteUnit)
}

// deadlineReader sets a read deadline before every read: a source that
// goes silent is dropped (and retried) after timeout.
type deadlineReader struct {
	r       io.Reader
	set     func(time.Time) error
	timeout time.Duration
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	_ = d.set(time.Now().Add(d.timeout))
	return d.r.Read(b)
}
