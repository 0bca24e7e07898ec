package authn

import (
	"errors"
	"fmt"
)

// Kind says how a protocol must answer a failed authentication.
type Kind uint8

// The kinds of failure.
const (
	// KindAskCredentials: no usable credentials were given; challenge
	// (HTTP/RTSP 401 with WWW-Authenticate).
	KindAskCredentials Kind = iota + 1
	// KindDenied: the credentials are wrong, unknown or quarantined; the same
	// answer for all three (HTTP 401 with a challenge; RTSP 401 then close).
	KindDenied
	// KindForbidden: the identity is known but not allowed (HTTP 403).
	KindForbidden
	// KindUnavailable: a backend needed for the decision cannot answer (HTTP 503).
	KindUnavailable
)

func (k Kind) String() string {
	switch k {
	case KindAskCredentials:
		return "ask"
	case KindDenied:
		return "denied"
	case KindForbidden:
		return "forbidden"
	case KindUnavailable:
		return "unavailable"
	}
	return "unknown"
}

// Error is the one error Authenticate returns. Reason is for logs only; it
// is never sent to the client, so unknown user, wrong password and
// quarantine look the same from outside.
type Error struct {
	Kind   Kind
	Reason string
	Err    error

	// transient marks a refusal that may soon not hold (a key the JWKS
	// does not have yet, a token not valid yet): it is not cached.
	transient bool
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("authn: %s: %s: %v", e.Kind, e.Reason, e.Err)
	}
	return fmt.Sprintf("authn: %s: %s", e.Kind, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err, KindUnavailable for an error that is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnavailable
}

// cacheable reports whether a decision with err may be cached: grants and
// refusals, but neither a backend's failure nor a transient refusal.
func cacheable(err error) bool {
	if err == nil {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Kind != KindUnavailable && !e.transient
}

// ErrNotApplicable is returned by a backend that does not recognise the
// credentials; the pipeline asks the next backend.
var ErrNotApplicable = errors.New("authn: credentials not recognised by this backend")

// Reasons, for logs and tests.
const (
	ReasonNoCredentials = "no credentials"
	ReasonUnknownUser   = "unknown user"
	ReasonWrongPassword = "wrong password"
	ReasonQuarantined   = "quarantined" // the name, from this address
	ReasonIPQuarantined = "address quarantined"
	// ReasonUserQuarantined: the name, from every address but its trusted ones.
	ReasonUserQuarantined = "user quarantined"
	// ReasonSectionUser: a section with its own credentials (a path's
	// readUser, apiUser…) refused a different name. No failed attempt:
	// the password may well be right elsewhere.
	ReasonSectionUser = "not this section's user"
	// ReasonArgon2Busy: the client address already has argon2QueuePerAddress
	// verifications waiting. No failed attempt, not cached.
	ReasonArgon2Busy   = "argon2 queue full"
	ReasonNoPermission = "no permission"
	// ReasonAddress: a path's publishIPs/readIPs do not hold the client
	// address.
	ReasonAddress   = "address not allowed"
	ReasonLabelRule = "label rule"
)

func denied(reason string) *Error    { return &Error{Kind: KindDenied, Reason: reason} }
func forbidden(reason string) *Error { return &Error{Kind: KindForbidden, Reason: reason} }
