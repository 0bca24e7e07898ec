package srt

import (
	"errors"
	"io"
	"sync"
	"time"

	gosrt "github.com/datarhei/gosrt"
	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// publish runs an authenticated publisher (its label rule checked with its
// credentials): busy path and passphrase are checked before the handshake
// is answered; then the MPEG-TS it sends feeds the hub until it leaves (or
// is replaced).
func (s *Server) publish(ss *session, id *authn.Identity) {
	np, err := s.hub.PathConf(ss.sid.Path)
	if err != nil {
		s.reject(ss, err)
		return
	}
	if _, err := s.hub.Get(ss.sid.Path); err == nil && !np.OverridePublisher {
		s.reject(ss, stream.ErrBusy)
		return
	}
	if err := checkPassphrase(ss.req, s.passphrase(ss.sid.Path, true)); err != nil {
		s.reject(ss, err)
		return
	}
	conn, done, ok := s.open(ss, id, "publish")
	if !ok {
		return
	}
	defer done()

	// The program tables must arrive within the read timeout.
	timer := time.AfterFunc(s.cfg.ReadTimeout, func() { conn.Close() })
	var once sync.Once
	dm, err := newDemuxer(conn, func(err error) {
		s.metrics.decodeErr.Inc()
		once.Do(func() { ss.logger.Debug("mpeg-ts decode error", "error", err) })
	})
	timer.Stop()
	if err != nil {
		ss.logger.Info("srt publisher sent no usable MPEG-TS", "error", err)
		return
	}
	pub, err := s.hub.Publish(ss.sid.Path, dm.desc, stream.SourceInfo{Protocol: "srt", ID: ss.id, User: id.User,
		Type: "srtConn", Query: ss.sid.Query})
	if err != nil {
		ss.logger.Info("srt publish refused", "error", err)
		return
	}
	defer pub.Close()
	stop := closeWhenDone(conn, pub.Done(), ss.logger)
	defer stop()
	dm.write = pub.WriteUnit
	for {
		if err := dm.Read(); err != nil {
			if !errors.Is(err, io.EOF) {
				ss.logger.Info("srt publisher left", "error", err)
			}
			return
		}
	}
}

// read runs an authenticated reader: the path must be published with a
// track MPEG-TS can carry, the passphrase must match and maxReaders must
// allow it; then it gets the path's MPEG-TS from the next keyframe on
// until it leaves or the publication ends.
func (s *Server) read(ss *session, id *authn.Identity) {
	pub, err := s.hub.Read(ss.sid.Path, ss.sid.Query) // authorized: may wake an on-demand source
	if err != nil {
		s.reject(ss, err)
		return
	}
	f, _ := pub.Attached(s.cfg.Name).(*fanout)
	if f == nil {
		s.reject(ss, ErrNoTracks)
		return
	}
	if err := checkPassphrase(ss.req, s.passphrase(ss.sid.Path, false)); err != nil {
		s.reject(ss, err)
		return
	}
	if err := pub.AddReaderAs(ss, stream.ReaderInfo{Type: "srtConn", ID: ss.id, Query: ss.sid.Query}); err != nil {
		s.reject(ss, err)
		return
	}
	defer pub.RemoveReader(ss)
	conn, done, ok := s.open(ss, id, "read")
	if !ok {
		return
	}
	defer done()

	r := f.add()
	defer f.remove(r)
	go func() {
		defer panics.Recover(ss.logger, "srt", func() {
			conn.Close()
			for range r.ch {
			}
		})
		for chunk := range r.ch {
			if _, err := conn.Write(chunk); err != nil {
				conn.Close() // the send queue is full or the peer is gone
				for range r.ch {
				}
				return
			}
		}
	}()
	stop := closeWhenDone(conn, pub.Done(), ss.logger)
	defer stop()
	// The caller sends nothing but control packets; Read returns when the
	// connection closes (peer gone, idle timeout, publication over).
	buf := make([]byte, 1500)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

// passphrase is the path's publish or read passphrase as configured now.
func (s *Server) passphrase(path string, publish bool) string {
	if s.cfg.Passphrases == nil {
		return ""
	}
	pub, read := s.cfg.Passphrases(path)
	if publish {
		return pub
	}
	return read
}

// open answers the handshake and sets up what a session holds until it
// ends: the connection hooks, its end when the identity is revoked, the
// sessions gauge. done undoes them and closes the connection.
func (s *Server) open(ss *session, id *authn.Identity, mode string) (conn gosrt.Conn, done func(), ok bool) {
	conn, ok = s.answer(ss)
	if !ok {
		return nil, nil, false
	}
	disconnected := s.hub.Connected(stream.ConnInfo{Type: "srtConn", ID: ss.id})
	unbind := id.OnEnd(func(reason string) {
		ss.logger.Info("session closed", "reason", reason)
		conn.Close()
	})
	gauge := s.metrics.conns.WithLabelValues(mode)
	gauge.Inc()
	return conn, func() {
		gauge.Dec()
		unbind()
		disconnected()
		conn.Close()
	}, true
}
