package source

import (
	"context"
	"net/url"
	"time"

	"github.com/bluenviron/gortmplib"

	"github.com/streamgate/streamgate/protocols/rtmp"
)

// runRTMP plays an RTMP(S) stream; its tracks are mapped as an RTMP
// publisher's.
func runRTMP(ctx context.Context, s *session) error {
	o := s.r.opts
	u, err := url.Parse(o.URL)
	if err != nil {
		return err
	}
	c := &gortmplib.Client{URL: u}
	if u.Scheme == "rtmps" {
		c.TLSConfig = tlsConfig(o.Fingerprint)
		c.TLSConfig.ServerName = u.Hostname()
	}
	dctx, cancel := context.WithTimeout(ctx, o.ReadTimeout)
	err = c.Initialize(dctx)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	nc := c.NetConn()
	// gortmplib reads about two seconds of media to find the tracks.
	_ = nc.SetReadDeadline(time.Now().Add(o.ReadTimeout + 5*time.Second))
	r := &gortmplib.Reader{Conn: c}
	if err := r.Initialize(); err != nil {
		return err
	}
	desc, attach := rtmp.Ingest(r)
	p, err := s.publish(desc)
	if err != nil {
		return err
	}
	attach(p)
	for {
		_ = nc.SetReadDeadline(time.Now().Add(o.ReadTimeout))
		if err := r.Read(); err != nil {
			return err
		}
	}
}
