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

// RejectCode is an SRT rejection reason numbered as libsrt's API numbers it
// (srt_getrejectreason, srt.h and access_control.h): SRT_REJ_* below 1000,
// SRT_REJX_* from 1000. It is the code label of
// streamgate_srt_rejected_total and the code of the "srt connection
// rejected" log line.
type RejectCode uint32

// The rejection reasons streamgate sends, with libsrt's numbers and names.
const (
	RejectIPE           RejectCode = 6    // SRT_REJ_IPE: internal program error (a panic)
	RejectBadSecret     RejectCode = 10   // SRT_REJ_BADSECRET: wrong passphrase
	RejectUnsecure      RejectCode = 11   // SRT_REJ_UNSECURE: passphrase required or unexpected
	RejectBadRequest    RejectCode = 1400 // SRT_REJX_BAD_REQUEST
	RejectUnauthorized  RejectCode = 1401 // SRT_REJX_UNAUTHORIZED
	RejectOverload      RejectCode = 1402 // SRT_REJX_OVERLOAD
	RejectForbidden     RejectCode = 1403 // SRT_REJX_FORBIDDEN
	RejectNotFound      RejectCode = 1404 // SRT_REJX_NOTFOUND
	RejectBadMode       RejectCode = 1405 // SRT_REJX_BAD_MODE
	RejectUnacceptable  RejectCode = 1406 // SRT_REJX_UNACCEPTABLE
	RejectConflict      RejectCode = 1409 // SRT_REJX_CONFLICT (gosrt's REJX_CONFLICT says 1407)
	RejectInternalError RejectCode = 1500 // SRT_REJX_ISE
	RejectDown          RejectCode = 1503 // SRT_REJX_DOWN
)

// Wire is the handshake type that carries the reason: 1000 + reason
// (libsrt's URQFailure; a receiver's RejectReasonForURQ subtracts 1000).
// gosrt's Reject writes its argument as the handshake type unchanged; its
// REJ_* constants are wire values already (1000 + SRT_REJ_*), but its REJX_*
// constants are the API numbers (1401), which a libsrt peer decodes as 401
// and reports as "Unknown or erroneous". Hence streamgate's own numbers,
// shifted here, in one place.
func (c RejectCode) Wire() gosrt.RejectionReason { return gosrt.RejectionReason(1000 + uint32(c)) }

// rejection is the one place where errors become SRT handshake rejections:
// a malformed streamid → SRT_REJX_BAD_REQUEST (1400); missing or wrong
// credentials, quarantine → SRT_REJX_UNAUTHORIZED (1401, the same for all
// three); a known identity without permission → SRT_REJX_FORBIDDEN (1403);
// an authentication backend down → SRT_REJX_DOWN (1503); after
// authentication: unknown or unpublished path → SRT_REJX_NOTFOUND (1404),
// busy → SRT_REJX_CONFLICT (1409), too many readers or connections →
// SRT_REJX_OVERLOAD (1402); passphrase mismatches → SRT_REJ_BADSECRET and
// SRT_REJ_UNSECURE.
func rejection(err error) RejectCode {
	var ae *authn.Error
	var busy *netlimit.BusyError
	switch {
	case errors.As(err, &busy):
		return RejectOverload
	case errors.As(err, &ae):
		switch ae.Kind {
		case authn.KindAskCredentials, authn.KindDenied:
			return RejectUnauthorized
		case authn.KindForbidden:
			return RejectForbidden
		}
		return RejectDown
	case errors.Is(err, ErrMode):
		return RejectBadMode
	case errors.Is(err, ErrStreamID):
		return RejectBadRequest
	case errors.Is(err, stream.ErrNoPath), errors.Is(err, stream.ErrNotPublished):
		return RejectNotFound
	case errors.Is(err, stream.ErrBusy):
		return RejectConflict
	case errors.Is(err, stream.ErrTooManyReaders), errors.Is(err, stream.ErrUnavailable):
		return RejectOverload
	case errors.Is(err, ErrNoTracks):
		return RejectUnacceptable
	case errors.Is(err, ErrPassphraseWrong):
		return RejectBadSecret
	case errors.Is(err, ErrPassphraseMissing), errors.Is(err, ErrPassphraseUnexpected):
		return RejectUnsecure
	}
	return RejectInternalError
}

// rejections are the codes rejection answers: the values of the code label
// of streamgate_srt_rejected_total, created at 0 with the metrics.
var rejections = []RejectCode{RejectOverload, RejectUnauthorized, RejectForbidden, RejectDown, RejectBadMode,
	RejectBadRequest, RejectNotFound, RejectConflict, RejectUnacceptable, RejectBadSecret, RejectUnsecure,
	RejectInternalError}

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
