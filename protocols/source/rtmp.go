package source

import (
	"cmp"
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"time"

	"github.com/bluenviron/gortmplib"

	"github.com/streamgate/streamgate/protocols/rtmp"
)

// runRTMP plays an RTMP(S) stream; its tracks are mapped as an RTMP
// publisher's. gortmplib's client decodes the server's messages: each one
// first passes the publisher's message guard (rtmp.GuardUpstream).
func runRTMP(ctx context.Context, s *session) error {
	o := s.r.opts
	u, err := url.Parse(o.URL)
	if err != nil {
		return err
	}
	c := &gortmplib.Client{URL: u, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil || u.Scheme != "rtmps" {
			return guard(nc, err)
		}
		cfg := tlsConfig(o.Fingerprint)
		cfg.ServerName = u.Hostname()
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return guard(tc, nil)
	}}
	if u.Scheme == "rtmps" {
		// The TLS is the dialer's, under the message guard; the client
		// speaks plain RTMP over it. Its connect command's tcUrl says
		// rtmp:// (servers read the host and the app from it).
		plain := *u
		plain.Scheme = "rtmp"
		c.URL = &plain
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
	// Reads answer the server (acknowledgements, pings): a server that
	// stops reading would block them for ever, hence a write deadline too
	// (a read's window, then the write timeout).
	deadlines := func(read time.Duration) {
		now := time.Now()
		_ = nc.SetReadDeadline(now.Add(read))
		_ = nc.SetWriteDeadline(now.Add(read + cmp.Or(o.WriteTimeout, o.ReadTimeout)))
	}
	// gortmplib reads about two seconds of media to find the tracks.
	deadlines(o.ReadTimeout + 5*time.Second)
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
		deadlines(o.ReadTimeout)
		if err := r.Read(); err != nil {
			return err
		}
	}
}

// guard wraps a dialed connection in the message guard.
func guard(nc net.Conn, err error) (net.Conn, error) {
	if err != nil {
		return nil, err
	}
	return rtmp.GuardUpstream(nc), nil
}
