package rtmp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/stream"
)

// authTimeout bounds one authentication (an external backend may be slow).
const authTimeout = 30 * time.Second

// conn is one client connection; run is its goroutine, and everything the
// connection does — authentication included — happens on it.
type conn struct {
	srv    *Server
	nc     net.Conn
	id     string
	sess   *session
	target Target
	logger *slog.Logger
	api    connAPI // the control API's view (api.go)
}

func (c *conn) run() {
	c.id = uuid.NewString()
	c.logger = c.srv.logger.With("conn", c.id, "remote", c.nc.RemoteAddr().String())
	defer c.register()()
	err := c.serve()
	switch {
	case errors.Is(err, errPreAuthMedia), errors.Is(err, errMessageTooLarge):
		c.srv.cfg.Metrics.messagesRefused.Inc()
		c.logger.Info("refused", "reason", err.Error())
	case errors.Is(err, errChunkSizeSmall):
		c.srv.cfg.Metrics.chunkSizeRefused.Inc()
		c.logger.Info("refused", "reason", err.Error())
	}
	switch {
	case err == nil, errors.Is(err, net.ErrClosed):
		c.logger.Debug("closed")
	default:
		c.logger.Debug("closed", "error", err)
	}
}

func (c *conn) serve() error {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.ReadTimeout))
	sess, err := accept(c.nc)
	if err != nil {
		if errors.Is(err, errPreAuthChunkSize) {
			c.srv.cfg.Metrics.chunkSizeRefused.Inc()
			c.logger.Info("refused", "reason", err.Error())
		}
		return err
	}
	c.sess = sess
	c.target = ParseTarget(sess.app, sess.key)
	action := authz.ActionRead
	if sess.publish {
		action = authz.ActionPublish
	}
	c.logger = c.logger.With("path", c.target.Path, "action", string(action))
	// The name first, before authentication: a name that breaks the naming
	// rules never reaches the pipeline, the hub or Savant.
	if err := authz.CheckPathName(c.target.Path); err != nil {
		return c.refuse(pathRejection(sess.publish), err)
	}
	// Authenticate before the path is looked at: without valid credentials
	// an unconfigured path and a configured one get the same answer.
	// A publisher's label rule is held against the path's savantLabels in
	// the same pass.
	var labels []string
	if sess.publish {
		labels = c.srv.hub.PublishLabels(c.target.Path)
	}
	id, err := c.authenticate(action, labels)
	if err != nil {
		return c.refuse(authRejection(err), err)
	}
	sess.authenticated()
	c.noteAuth(sess, id)
	defer c.srv.hub.Connected(stream.ConnInfo{Type: c.srv.cfg.Name + "Conn", ID: c.id})()
	defer id.OnEnd(func(reason string) {
		c.logger.Info("session closed", "reason", reason)
		_ = c.nc.Close()
	})()
	if sess.publish {
		return c.publish(id)
	}
	return c.play()
}

// authenticate runs the pipeline for the target; labels, when not nil, are
// held against the identity's label rule.
func (c *conn) authenticate(action authz.Action, labels []string) (*authn.Identity, error) {
	req := authn.Request{
		Action:      action,
		Path:        c.target.Path,
		Protocol:    authn.ProtocolRTMP,
		IP:          remoteIP(c.nc),
		Credentials: c.target.Credentials,
		Query:       c.target.Query,
		ID:          c.id,
		Labels:      labels,
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	// The client waits for an answer meanwhile; keep the connection open.
	_ = c.nc.SetDeadline(time.Now().Add(authTimeout + c.srv.cfg.WriteTimeout))
	return c.srv.auth.Authenticate(ctx, &req)
}

// refuse answers the publish/play command with an error status; the
// connection is then closed by the caller.
func (c *conn) refuse(r rejection, cause error) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	_ = c.sess.reject(r)
	c.logger.Info("refused", "code", r.code, "reason", r.description)
	// Give the client a moment to read the status and hang up: closing with
	// unread input would reset the connection and could discard the status.
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerAfterRefusal))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, 1<<20))
	return cause
}

// lingerAfterRefusal bounds the wait for a refused client to hang up.
const lingerAfterRefusal = time.Second
