package rtsp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Credentials extracts what an RTSP request carries: Authorization: Basic
// (clients turn rtsp://user:pass@host/path into it after a 401 challenge)
// or Digest (a DigestProof without its Check, which only the connection
// can make), and ?token= (or ?jwt=) in the URL's query.
func Credentials(req *base.Request, rawQuery string) authn.Credentials {
	var c authn.Credentials
	if h := req.Header["Authorization"]; len(h) > 0 {
		c = httpauth.ParseAuthorization(h[0])
		var d headers.Authorization
		if c.IsEmpty() && d.Unmarshal(h) == nil && d.Method == headers.AuthMethodDigest && d.Username != "" {
			// Checked by the connection that issued the nonce (Server.credentials).
			c = authn.Credentials{User: d.Username, Digest: &authn.DigestProof{Response: h[0]}}
		}
	}
	if c.Token == "" && rawQuery != "" {
		if q, err := url.ParseQuery(rawQuery); err == nil {
			if t := q.Get("token"); t != "" {
				c.Token = t
			} else if t := q.Get("jwt"); t != "" {
				c.Token = t
			}
		}
	}
	return c
}

// isBasic reports whether req carries an Authorization: Basic header.
func isBasic(req *base.Request) bool {
	h := req.Header["Authorization"]
	if len(h) == 0 {
		return false
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(h[0]), " ")
	return strings.EqualFold(scheme, "Basic")
}

// PathOf is the path name of a request URL's (decoded) path: the URL path
// without its leading slash, nothing else removed — a name that breaks the
// naming rules ("cams/../x", "cams/x/", "cams/x%00") is answered 400 by
// checkPath, not turned into another name.
func PathOf(p string) string { return strings.TrimPrefix(p, "/") }

// checkPath holds a request's path name to the naming rules before anything
// else is done with it (authentication included): 400 when it breaks them.
func checkPath(path string) (*base.Response, error) {
	if err := authz.CheckPathName(path); err != nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, fmt.Errorf("rtsp: %w", err)
	}
	return nil, nil
}

// clientCertVerified reports whether conn is a TLS connection whose client
// certificate chains to Config.ClientCAs (checked once per connection).
// The TLS layer takes any certificate: one of another CA only makes this
// false, it does not fail the handshake.
func (s *Server) clientCertVerified(conn *gortsplib.ServerConn) bool {
	tc, ok := conn.NetConn().(*tls.Conn)
	if !ok || s.cfg.ClientCAs == nil {
		return false
	}
	cd, _ := conn.UserData().(*connData)
	if cd == nil {
		return verifyClientCert(tc.ConnectionState().PeerCertificates, s.cfg.ClientCAs)
	}
	cd.certOnce.Do(func() { cd.certOK = verifyClientCert(tc.ConnectionState().PeerCertificates, s.cfg.ClientCAs) })
	return cd.certOK
}

// verifyClientCert reports whether the chain a client presented (leaf
// first; the handshake proved it holds the leaf's key) chains to roots for
// client authentication.
func verifyClientCert(chain []*x509.Certificate, roots *x509.CertPool) bool {
	if len(chain) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// authResponse is the one place where authn errors become RTSP answers:
// missing or wrong credentials → 401 (gortsplib adds the challenge when none
// were sent, and closes the connection when wrong ones were); a known
// identity without permission → 403; a backend down → 503.
func authResponse(err error) (*base.Response, error) {
	switch authn.KindOf(err) {
	case authn.KindAskCredentials, authn.KindDenied:
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	case authn.KindForbidden:
		return &base.Response{StatusCode: base.StatusForbidden}, errors.New("rtsp: forbidden")
	default:
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, errors.New("rtsp: authentication unavailable")
	}
}

// hubResponse maps hub errors after authentication succeeded.
func hubResponse(err error) (*base.Response, error) {
	switch {
	case errors.Is(err, stream.ErrNoPath), errors.Is(err, stream.ErrNotPublished):
		return &base.Response{StatusCode: base.StatusNotFound}, nil
	case errors.Is(err, stream.ErrBusy):
		return &base.Response{StatusCode: base.StatusBadRequest}, err
	case errors.Is(err, stream.ErrTooManyReaders), errors.Is(err, stream.ErrUnavailable):
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, err
	}
	return &base.Response{StatusCode: base.StatusInternalServerError}, err
}
