package authn

import (
	"context"
	"crypto/subtle"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// Precedence is the backend of seed 004's credentials: a global
// authUser/authPass, per-service apiUser/apiPass, metricsUser/…,
// pprofUser/…, playbackUser/…, gatewayUser/…, and per-path
// publishUser/publishPass, readUser/readPass. A section's own pair overrides
// the global one; a section user without a password uses the global
// password; a user with no password anywhere means the section is open. A
// section with nothing configured is not this backend's (ErrNotApplicable);
// a configured section is decided here. A path's publishIPs/readIPs
// (MediaMTX's deprecated per-path networks) restrict its section to those
// client networks, with or without a user.
type Precedence struct {
	verifier *Verifier
	global   section
	services map[authz.Action]section
	paths    *config.Paths
}

type section struct {
	user string
	pass *hash.Secret   // nil: no password anywhere
	ips  authz.Networks // empty: every address
}

var _ Backend = (*Precedence)(nil)

// NewPrecedence compiles the seed 004 keys of c; ok is false when none is set.
func NewPrecedence(c *config.Conf, v *Verifier) (b *Precedence, ok bool) {
	b = &Precedence{verifier: v, global: section{user: c.AuthUser, pass: secretOf(&c.AuthPass)}, paths: &c.Paths}
	b.services = map[authz.Action]section{
		authz.ActionAPI:      b.resolve(c.APIUser, &c.APIPass),
		authz.ActionMetrics:  b.resolve(c.MetricsUser, &c.MetricsPass),
		authz.ActionPprof:    b.resolve(c.PprofUser, &c.PprofPass),
		authz.ActionPlayback: b.resolve(c.PlaybackUser, &c.PlaybackPass),
		authz.ActionGateway:  b.resolve(c.GatewayUser, &c.GatewayPass),
	}
	ok = b.global.configured()
	for _, s := range b.services {
		ok = ok || s.configured()
	}
	for _, np := range c.Paths.List {
		ok = ok || np.PublishUser != "" || np.PublishPass.IsSet() || np.ReadUser != "" || np.ReadPass.IsSet() ||
			len(np.PublishIPs) > 0 || len(np.ReadIPs) > 0
	}
	return b, ok
}

func secretOf(p *config.Password) *hash.Secret {
	if !p.IsSet() {
		return nil
	}
	return &p.Secret
}

// resolve applies the precedence rules to one section's pair.
func (b *Precedence) resolve(user string, pass *config.Password) section {
	s := section{user: user, pass: secretOf(pass)}
	if s.user == "" {
		s.user = b.global.user
	}
	if s.pass == nil {
		s.pass = b.global.pass
	}
	return s
}

func (s section) configured() bool { return s.user != "" || s.pass != nil || len(s.ips) > 0 }

// Name implements Backend.
func (b *Precedence) Name() string { return "precedence" }

func (b *Precedence) sectionFor(req *Request) section {
	switch req.Action {
	case authz.ActionPublish, authz.ActionRead:
		np, ok := b.paths.Find(req.Path)
		if !ok {
			return b.global
		}
		if req.Action == authz.ActionPublish {
			s := b.resolve(np.PublishUser, &np.PublishPass)
			s.ips = config.Networks(np.PublishIPs)
			return s
		}
		s := b.resolve(np.ReadUser, &np.ReadPass)
		s.ips = config.Networks(np.ReadIPs)
		return s
	}
	if s, ok := b.services[req.Action]; ok {
		return s
	}
	return b.global
}

// Authenticate implements Backend.
func (b *Precedence) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	s := b.sectionFor(req)
	if !s.configured() {
		return nil, ErrNotApplicable
	}
	if !s.ips.Contains(req.IP) {
		// No failed attempt: the address, not the credentials, is refused.
		return nil, forbidden(ReasonAddress)
	}
	grant := authz.Permissions{{Action: req.Action, Path: authz.ExactPath(req.Path)}}
	if s.pass == nil {
		// A user but no password anywhere: no authentication (seed 004).
		return &Identity{Backend: "precedence", Permissions: grant}, nil
	}
	c := req.Credentials
	if c.User == "" && c.Pass == "" && c.Digest == nil {
		return nil, &Error{Kind: KindAskCredentials, Reason: ReasonNoCredentials}
	}
	if subtle.ConstantTimeCompare([]byte(c.User), []byte(s.user)) != 1 {
		// Another name: its password may be right elsewhere, so this is no
		// failed attempt of it (no check either; the pipeline pads the
		// refusal to the time a check takes).
		return nil, denied(ReasonSectionUser)
	}
	passOK, err := b.verifier.VerifyPass(ctx, req, s.pass)
	if err != nil {
		return nil, err
	}
	if !passOK {
		return nil, denied(ReasonWrongPassword)
	}
	return &Identity{User: c.User, Backend: "precedence", Permissions: grant}, nil
}

// VerifiesDigest implements DigestVerifier: per-service passwords are plain.
func (b *Precedence) VerifiesDigest() {}
