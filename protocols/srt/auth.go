package srt

import (
	"context"
	"errors"
	"net"
	"net/netip"

	gosrt "github.com/datarhei/gosrt"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Authenticator is the pipeline as the listener sees it.
type Authenticator interface {
	Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error)
}

// Passphrase errors, decided before the handshake is answered.
var (
	// ErrPassphraseMissing: the path needs encryption and the caller sent none.
	ErrPassphraseMissing = errors.New("srt: the path requires a passphrase")
	// ErrPassphraseUnexpected: the caller encrypts and the path has no passphrase.
	ErrPassphraseUnexpected = errors.New("srt: the path has no passphrase")
	// ErrPassphraseWrong: the caller's key material does not decrypt with the path's passphrase.
	ErrPassphraseWrong = errors.New("srt: wrong passphrase")
	// ErrNoTracks: the path has no track SRT can carry.
	ErrNoTracks = errors.New("srt: no track that MPEG-TS can carry (H.264, H.265, AAC, Opus)")
)

// rejection is the one place where errors become SRT handshake rejections:
// a malformed streamid → 1400; missing or wrong credentials, quarantine →
// 1401 (the same for all three); a known identity without permission → 1403;
// an authentication backend down → 1503; after authentication: unknown or
// unpublished path → 1404, busy → 1407, too many readers → 1402; passphrase
// mismatches → the SRT codes for them.
func rejection(err error) gosrt.RejectionReason {
	var ae *authn.Error
	var busy *netlimit.BusyError
	switch {
	case errors.As(err, &busy):
		return gosrt.REJX_OVERLOAD
	case errors.As(err, &ae):
		switch ae.Kind {
		case authn.KindAskCredentials, authn.KindDenied:
			return gosrt.REJX_UNAUTHORIZED
		case authn.KindForbidden:
			return gosrt.REJX_FORBIDDEN
		}
		return gosrt.REJX_DOWN
	case errors.Is(err, ErrMode):
		return gosrt.REJX_BAD_MODE
	case errors.Is(err, ErrStreamID):
		return gosrt.REJX_BAD_REQUEST
	case errors.Is(err, stream.ErrNoPath), errors.Is(err, stream.ErrNotPublished):
		return gosrt.REJX_NOTFOUND
	case errors.Is(err, stream.ErrBusy):
		return gosrt.REJX_CONFLICT
	case errors.Is(err, stream.ErrTooManyReaders):
		return gosrt.REJX_OVERLOAD
	case errors.Is(err, ErrNoTracks):
		return gosrt.REJX_UNACCEPTABLE
	case errors.Is(err, ErrPassphraseWrong):
		return gosrt.REJ_BADSECRET
	case errors.Is(err, ErrPassphraseMissing), errors.Is(err, ErrPassphraseUnexpected):
		return gosrt.REJ_UNSECURE
	}
	return gosrt.REJX_ISE
}

// rejections are the codes rejection answers: the values of the code label
// of streamgate_srt_rejected_total, created at 0 with the metrics.
var rejections = []gosrt.RejectionReason{gosrt.REJX_OVERLOAD, gosrt.REJX_UNAUTHORIZED, gosrt.REJX_FORBIDDEN,
	gosrt.REJX_DOWN, gosrt.REJX_BAD_MODE, gosrt.REJX_BAD_REQUEST, gosrt.REJX_NOTFOUND, gosrt.REJX_CONFLICT,
	gosrt.REJX_UNACCEPTABLE, gosrt.REJ_BADSECRET, gosrt.REJ_UNSECURE, gosrt.REJX_ISE}

// checkPassphrase holds a request to the path's passphrase: none configured
// accepts only unencrypted callers, one configured accepts only callers whose
// key material it decrypts.
func checkPassphrase(req gosrt.ConnRequest, passphrase string) error {
	switch {
	case passphrase == "" && req.IsEncrypted():
		return ErrPassphraseUnexpected
	case passphrase == "":
		return nil
	case !req.IsEncrypted():
		return ErrPassphraseMissing
	case req.SetPassphrase(passphrase) != nil:
		return ErrPassphraseWrong
	}
	return nil
}

func remoteIP(a net.Addr) netip.Addr {
	if u, ok := a.(*net.UDPAddr); ok {
		if ip, ok := netip.AddrFromSlice(u.IP); ok {
			return ip.Unmap()
		}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
