package authn_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// TestPeerBackend: the cluster peer credential reads from the registered
// peer's address only; from another address, for publishing, with another
// secret's password or for an unknown instance it is refused as any
// login; names without the prefix pass to the next backend.
func TestPeerBackend(t *testing.T) {
	secret := []byte("shared")
	peerIP := netip.MustParseAddr("10.0.0.2")
	isPeer := func(name string, ip netip.Addr) bool { return name == "b" && ip == peerIP }
	m := authn.NewMetrics(nil)
	deps := authn.NewTestDeps(m)
	authn.WithoutRefusalPadding(deps.Verifier)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{
		authn.NewPeer(authn.PeerConfig{Secret: secret, IsPeer: isPeer}),
		authn.NewInternal([]authn.InternalUser{}, deps.Verifier),
	}}, deps)
	user, pass := authn.PeerUser("b"), authn.PeerPassword(secret, "b")
	try := func(action authz.Action, ip, user, pass string) error {
		_, err := p.Authenticate(context.Background(), &authn.Request{Action: action, Path: "cam", Protocol: authn.ProtocolRTSP,
			IP: netip.MustParseAddr(ip), Credentials: authn.Credentials{User: user, Pass: pass}})
		return err
	}
	if err := try(authz.ActionRead, "10.0.0.2", user, pass); err != nil {
		t.Fatalf("peer reading from its address: %v", err)
	}
	for _, c := range []struct {
		name       string
		action     authz.Action
		ip         string
		user, pass string
		want       authn.Kind
	}{
		{"from a non-peer address", authz.ActionRead, "10.0.0.3", user, pass, authn.KindDenied},
		{"to publish", authz.ActionPublish, "10.0.0.2", user, pass, authn.KindForbidden},
		{"another secret", authz.ActionRead, "10.0.0.2", user, authn.PeerPassword([]byte("guess"), "b"), authn.KindDenied},
		{"another instance's password", authz.ActionRead, "10.0.0.2", user, authn.PeerPassword(secret, "c"), authn.KindDenied},
		{"unknown instance", authz.ActionRead, "10.0.0.2", authn.PeerUser("c"), authn.PeerPassword(secret, "c"), authn.KindDenied},
	} {
		if err := try(c.action, c.ip, c.user, c.pass); authn.KindOf(err) != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// With mutual TLS required: only over a verified client certificate.
	mtls := authn.NewPeer(authn.PeerConfig{Secret: secret, IsPeer: isPeer, RequireClientCert: true})
	for _, verified := range []bool{false, true} {
		id, err := mtls.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, IP: peerIP,
			Credentials: authn.Credentials{User: user, Pass: pass}, ClientCertVerified: verified})
		if (err == nil) != verified || (id != nil) != verified {
			t.Errorf("mutual TLS required, client certificate verified %v: %v %v", verified, id, err)
		}
	}
	// A wrong password never reaches IsPeer (which may query DNS).
	asked := 0
	counting := authn.NewPeer(authn.PeerConfig{Secret: secret, IsPeer: func(n string, ip netip.Addr) bool { asked++; return isPeer(n, ip) }})
	if _, err := counting.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, IP: peerIP,
		Credentials: authn.Credentials{User: user, Pass: "guess"}}); authn.KindOf(err) != authn.KindDenied || asked != 0 {
		t.Errorf("a wrong peer password: %v, IsPeer asked %d times, want denied without asking", err, asked)
	}
	if id, err := authn.NewPeer(authn.PeerConfig{Secret: secret, IsPeer: isPeer}).Authenticate(context.Background(),
		&authn.Request{Action: authz.ActionRead, Credentials: authn.Credentials{User: "viewer", Pass: "x"}}); id != nil || err != authn.ErrNotApplicable {
		t.Errorf("an ordinary user: %v %v, want ErrNotApplicable", id, err)
	}
}

// TestPeerNameCannotBeLockedOut: wrong passwords for a peer's name from
// an attacker's addresses count against those addresses only — never
// against the name — so guessing cannot quarantine the peer credential and
// stop the cluster's relays (the name-wide limit would otherwise lock it
// out from the peer's own address too).
func TestPeerNameCannotBeLockedOut(t *testing.T) {
	secret := []byte("shared")
	peerIP := netip.MustParseAddr("10.0.0.2")
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(authn.QuarantineLimits{PairLimit: 3, UserLimit: 5, IPLimit: 1000, Period: time.Hour, MaxTracked: 1000})
	deps := authn.Deps{Verifier: authn.NewVerifier(1, q, m), Quarantine: q, Metrics: m}
	authn.WithoutRefusalPadding(deps.Verifier)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{
		authn.NewPeer(authn.PeerConfig{Secret: secret, IsPeer: func(name string, ip netip.Addr) bool { return name == "b" && ip == peerIP }}),
	}}, deps)
	read := func(ip netip.Addr, pass string) error {
		_, err := p.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Path: "cam", Protocol: authn.ProtocolRTSP,
			IP: ip, Credentials: authn.Credentials{User: authn.PeerUser("b"), Pass: pass}})
		return err
	}
	for i := range 50 {
		attacker := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%5)})
		_ = read(attacker, fmt.Sprintf("guess-%d", i))
	}
	if err := read(peerIP, authn.PeerPassword(secret, "b")); err != nil {
		t.Fatalf("the peer after 50 guesses of its name from other addresses: %v, want granted", err)
	}
}
