package rtmp

import (
	"errors"
	"io"
	"time"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

var errClientLeft = errors.New("rtmp: the reader hung up")

// play sends the publication of the target to the client, whatever protocol
// it was published over.
func (c *conn) play() error {
	p, err := c.srv.hub.Read(c.target.Path, c.target.Query) // authorized: may wake an on-demand source
	if err != nil {
		return c.refuse(hubRejection(err), err)
	}
	out := newOutput(p.Desc, c.sess)
	if out == nil {
		err := errors.New("rtmp: the stream has no track RTMP can carry")
		return c.refuse(rejection{codePlayFailed, "no track RTMP can carry"}, err)
	}
	if err := p.AddReaderAs(c, stream.ReaderInfo{Type: c.srv.cfg.Name + "Conn", ID: c.id, Query: c.target.Query}); err != nil {
		return c.refuse(hubRejection(err), err)
	}
	defer p.RemoveReader(c)
	rd := stream.NewReader(c.srv.cfg.WriteQueueSize, c.srv.cfg.Metrics.dropped.Inc)
	f := stream.FanoutOf(p, "rtmp", 1024)
	if !f.Add(rd) {
		return c.refuse(hubRejection(stream.ErrNotPublished), stream.ErrNotPublished)
	}
	defer f.Remove(rd)
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if err := c.sess.startPlay(); err != nil {
		return err
	}
	c.srv.cfg.Metrics.sessions.WithLabelValues("read").Inc()
	defer c.srv.cfg.Metrics.sessions.WithLabelValues("read").Dec()
	c.logger.Info("reading", "tracks", out.tracks())

	// From now on the client only sends acknowledgements: discard them, and
	// take a read error as the client leaving.
	_ = c.nc.SetReadDeadline(time.Time{})
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		defer panics.Recover(c.logger, "rtmp", nil)
		_, _ = io.Copy(io.Discard, c.nc)
	}()
	for {
		select {
		case u, ok := <-rd.Queue:
			if !ok {
				return nil // the publisher left
			}
			if rd.Dropped() {
				out.resync()
			}
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			if err := out.write(u); err != nil {
				return err
			}
		case <-gone:
			return errClientLeft
		}
	}
}
