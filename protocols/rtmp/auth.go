package rtmp

import (
	"errors"
	"net"
	"net/netip"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/stream"
)

// rejection is the onStatus error a refused publish or play gets before the
// connection is closed. Clients print the description (ffmpeg: "Server
// error: authentication failed") and exit with an error.
type rejection struct {
	code        string
	description string
}

// Status codes of refusals.
const (
	codeRejected       = "NetConnection.Connect.Rejected"
	codeBadName        = "NetStream.Publish.BadName"
	codeStreamNotFound = "NetStream.Play.StreamNotFound"
	codePlayFailed     = "NetStream.Play.Failed"
)

// authRejection is the one place where authn errors become RTMP answers:
// missing, wrong, unknown and quarantined credentials get the same answer; a
// known identity without permission is told so; a backend that cannot
// answer is reported as such. The connection is closed in every case.
func authRejection(err error) rejection {
	switch authn.KindOf(err) {
	case authn.KindAskCredentials, authn.KindDenied:
		return rejection{codeRejected, "authentication failed"}
	case authn.KindForbidden:
		return rejection{codeRejected, "forbidden"}
	default:
		return rejection{codeRejected, "authentication unavailable"}
	}
}

// pathRejection answers a path name that breaks the naming rules
// (authz.CheckPathName), before authentication.
func pathRejection(publish bool) rejection {
	if publish {
		return rejection{codeBadName, "invalid path name"}
	}
	return rejection{codePlayFailed, "invalid path name"}
}

// hubRejection maps hub errors, which are only reached after the client
// authenticated (no path oracle).
func hubRejection(err error) rejection {
	switch {
	case errors.Is(err, stream.ErrNoPath):
		return rejection{codeBadName, "path is not configured"}
	case errors.Is(err, stream.ErrNotPublished):
		return rejection{codeStreamNotFound, "stream not found"}
	case errors.Is(err, stream.ErrBusy):
		return rejection{codeBadName, "path already has a publisher"}
	case errors.Is(err, stream.ErrTooManyReaders):
		return rejection{codePlayFailed, "path has its maximum number of readers"}
	case errors.Is(err, stream.ErrUnavailable):
		return rejection{codePlayFailed, "stream unavailable for now (cluster registry unreachable); retry later"}
	}
	return rejection{codePlayFailed, "internal error"}
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
