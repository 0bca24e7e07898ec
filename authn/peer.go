package authn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/netip"
	"strings"

	"github.com/streamgate/streamgate/authz"
)

// PeerUserPrefix begins the user name of a cluster peer's credential: the
// instance's name follows it.
const PeerUserPrefix = "streamgate-peer."

// PeerUser is the user name instance name reads its peers' streams with.
func PeerUser(name string) string { return PeerUserPrefix + name }

// PeerPassword is the password of instance name's peer credential: an
// HMAC-SHA256 of its user name keyed with the cluster's shared secret.
// Anyone with the secret can make it; nobody can without.
func PeerPassword(secret []byte, name string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("streamgate cluster peer\x00" + name))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// PeerConfig configures the Peer backend.
type PeerConfig struct {
	// Secret is the cluster's shared secret (cluster.secretFile).
	Secret []byte
	// IsPeer reports whether ip is an address of the registered cluster
	// instance name (not this one).
	IsPeer func(name string, ip netip.Addr) bool
	// Version changes whenever the registered instances change, so that
	// the decision cache forgets a peer's grant once it left (nil: 0).
	Version func() uint64
	// RequireClientCert accepts the credential only over TLS with a
	// verified client certificate (Request.ClientCertVerified): the
	// cluster's mutual TLS.
	RequireClientCert bool
}

// Peer is the backend of the cluster's peer credential (README "Cluster"):
// a user named PeerUserPrefix+instance with PeerPassword, accepted only
// from the address of that registered instance (and, with
// RequireClientCert, over mutual TLS), and only to read. It is
// checked before every other backend; it decides every name with its
// prefix, and its refusals look like any other backend's. The quarantine
// counts them as unknown names (the address counts, the name does not),
// so no one can lock the peers out by guessing.
type Peer struct {
	cfg PeerConfig
}

var (
	_ Backend        = (*Peer)(nil)
	_ DigestVerifier = (*Peer)(nil)
	_ UserVersions   = (*Peer)(nil)
)

// UserVersion is the instances' version for a peer's name, 0 for others.
func (b *Peer) UserVersion(user string) uint64 {
	if b.cfg.Version == nil || !strings.HasPrefix(user, PeerUserPrefix) {
		return 0
	}
	return b.cfg.Version()
}

// NewPeer returns the peer backend.
func NewPeer(cfg PeerConfig) *Peer { return &Peer{cfg: cfg} }

// Name is "peer".
func (*Peer) Name() string { return "peer" }

// VerifiesDigest: the password is derived here, so a Digest answer can be
// checked.
func (*Peer) VerifiesDigest() {}

// peerRead is a peer's one permission: read, any path.
var peerRead = func() authz.Permissions {
	any, _ := authz.CompilePath("")
	return authz.Permissions{{Action: authz.ActionRead, Path: any}}
}()

// Authenticate checks a peer credential.
func (b *Peer) Authenticate(_ context.Context, req *Request) (*Identity, error) {
	user := req.Credentials.User
	name, ok := strings.CutPrefix(user, PeerUserPrefix)
	if !ok {
		return nil, ErrNotApplicable
	}
	if name == "" || len(b.cfg.Secret) == 0 || b.cfg.IsPeer == nil {
		return nil, denied(ReasonUnknownUser)
	}
	// The password first: it costs an HMAC, while IsPeer may resolve the
	// peer's advertised host name; a guess without the secret must not
	// make this instance query DNS.
	want := PeerPassword(b.cfg.Secret, name)
	switch {
	case req.Credentials.Digest != nil:
		ok = req.Credentials.Digest.Check(want)
	default:
		ok = subtle.ConstantTimeCompare([]byte(req.Credentials.Pass), []byte(want)) == 1
	}
	if !ok {
		// Counted as an unknown name: only the guesser's address counts,
		// never the peer's name, so guessing cannot quarantine the peer
		// credential (and stop the relays) from the peer's own address.
		return nil, denied(ReasonUnknownUser)
	}
	if (b.cfg.RequireClientCert && !req.ClientCertVerified) || !b.cfg.IsPeer(name, req.IP) {
		return nil, denied(ReasonUnknownUser) // not a peer, or not from its address
	}
	return &Identity{User: user, Backend: b.Name(), Permissions: peerRead}, nil
}
