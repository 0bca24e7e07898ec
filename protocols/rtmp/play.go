package rtmp

import (
	"errors"
	"io"
	"time"

	"github.com/streamgate/streamgate/protocols/stream"
)

var errClientLeft = errors.New("rtmp: the reader hung up")

// play sends the publication of the target to the client, whatever protocol
// it was published over.
func (c *conn) play() error {
	p, err := c.srv.hub.Get(c.target.Path)
	if err != nil {
		return c.refuse(hubRejection(err), err)
	}
	out := newOutput(p.Desc, c.sess)
	if out == nil {
		err := errors.New("rtmp: the stream has no track RTMP can carry")
		return c.refuse(rejection{codePlayFailed, "no track RTMP can carry"}, err)
	}
	if err := p.AddReader(c); err != nil {
		return c.refuse(hubRejection(err), err)
	}
	defer p.RemoveReader(c)
	rd := &reader{queue: make(chan *stream.Unit, c.srv.cfg.WriteQueueSize)}
	f := fanoutOf(p, c.srv.cfg.Metrics)
	if !f.add(rd) {
		return c.refuse(hubRejection(stream.ErrNotPublished), stream.ErrNotPublished)
	}
	defer f.remove(rd)
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
		_, _ = io.Copy(io.Discard, c.nc)
		close(gone)
	}()
	for {
		select {
		case u, ok := <-rd.queue:
			if !ok {
				return nil // the publisher left
			}
			if rd.dropped.Swap(false) {
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
