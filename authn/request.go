// Package authn is streamgate's one authentication pipeline. Every listener
// turns what its protocol carries into a Request and calls
// Pipeline.Authenticate; the pipeline answers an Identity or one typed *Error.
// Listeners know nothing about backends; backends know nothing about
// protocols.
package authn

import (
	"net/netip"
	"time"

	"github.com/streamgate/streamgate/authz"
)

// Protocol names the listener a request came through.
type Protocol string

// The protocols.
const (
	ProtocolRTSP    Protocol = "rtsp"
	ProtocolRTMP    Protocol = "rtmp"
	ProtocolSRT     Protocol = "srt"
	ProtocolHLS     Protocol = "hls"
	ProtocolWebRTC  Protocol = "webrtc"
	ProtocolHTTP    Protocol = "http" // api, metrics, pprof
	ProtocolGateway Protocol = "gateway"
)

// Credentials are what the client presented. Any may be empty.
type Credentials struct {
	User  string
	Pass  string
	Token string
	// Digest, with User, is an RTSP Digest answer instead of Pass.
	Digest *DigestProof
}

// DigestProof is an HTTP/RTSP Digest answer (RFC 2617). The password cannot
// be read from it, only a candidate checked: it verifies against plain
// passwords only (internal users and the per-service credentials).
type DigestProof struct {
	// Response is the Authorization header as sent: it tells answers apart
	// in the decision cache (the nonce changes per connection).
	Response string
	// Check reports whether pass produces the answer.
	Check func(pass string) bool
}

// IsEmpty reports whether the client presented nothing.
func (c Credentials) IsEmpty() bool { return c.User == "" && c.Pass == "" && c.Token == "" }

// Request is one authentication question.
type Request struct {
	Action      authz.Action
	Path        string
	Protocol    Protocol
	IP          netip.Addr
	Credentials Credentials
	// Query is the request's raw query string (for the http backend).
	Query string
	// ID identifies the session (for the http backend and logs).
	ID string
	// Labels, when non-nil, are checked against the identity's label rule
	// (a gateway message's routing labels, a published path's savantLabels).
	Labels []string
	// ClientCertVerified: the request came over TLS with a client
	// certificate that chains to the listener's client CA (the cluster CA
	// on RTSPS when cluster.tls is set: peers' mutual TLS).
	ClientCertVerified bool
	// Preliminary marks a check the caller completes with a second one for
	// the same request (the gateway's, before the body names its topic and
	// labels): a grant or a forbidden is not recorded (metrics, decision
	// log), the request's final check records its outcome; a refusal of the
	// credentials is recorded, as it ends the request.
	Preliminary bool

	recheck bool // a live session asked again (Sessions.Recheck)
}

// Identity is who a request was authenticated as.
type Identity struct {
	// User is the user name; empty for an anonymous ("any") identity.
	User string
	// Backend is the backend that recognised the credentials.
	Backend string
	// Permissions are what the identity may do.
	Permissions authz.Permissions
	// Labels is the routing-label rule the identity is held to (nil = none).
	Labels *authz.LabelRule
	// Expires, when not zero, ends the identity (a JWT's exp).
	Expires time.Time

	// The live session the identity was bound to (Bind), for re-checks.
	sessions *Sessions
	req      Request
}

// Anonymous reports whether the identity carries no user name.
func (id *Identity) Anonymous() bool { return id.User == "" }
