package authn

import (
	"context"
	"crypto/subtle"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
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
	paths    func(path string) (publish, read Section, ok bool)
}

// Section is one section's configured pair: a user and a password, either
// of which may be unset (empty user, nil Pass).
type Section struct {
	// User is the section's user name ("": unset).
	User string
	// Pass is the section's password (nil: unset).
	Pass *hash.Secret
	// IPs, when not empty, are the only client networks the section admits
	// (a path's publishIPs/readIPs); never inherited.
	IPs authz.Networks
}

// PrecedenceConfig is seed 004's credentials (internal/daemon maps the
// configuration onto it).
type PrecedenceConfig struct {
	// Global is authUser/authPass.
	Global Section
	// Services are apiUser/apiPass, metricsUser/…, by the action they guard.
	Services map[authz.Action]Section
	// Paths finds the publishUser/publishPass and readUser/readPass of the
	// path configuration a request path gets; ok is false when no path
	// configuration matches it.
	Paths func(path string) (publish, read Section, ok bool)
	// PathsConfigured is true when any path sets one of its pairs or
	// networks (the backend
	// is then needed even without a global or service pair).
	PathsConfigured bool
}

type section struct {
	user string
	pass *hash.Secret   // nil: no password anywhere
	ips  authz.Networks // empty: every address
}

var _ Backend = (*Precedence)(nil)

// NewPrecedence compiles seed 004's credentials; ok is false when none is set.
func NewPrecedence(c PrecedenceConfig, v *Verifier) (b *Precedence, ok bool) {
	b = &Precedence{verifier: v, global: section{user: c.Global.User, pass: c.Global.Pass}, paths: c.Paths}
	b.services = make(map[authz.Action]section, len(c.Services))
	for a, s := range c.Services {
		b.services[a] = b.resolve(s)
	}
	ok = b.global.configured() || c.PathsConfigured
	for _, s := range b.services {
		ok = ok || s.configured()
	}
	return b, ok
}

// resolve applies the precedence rules to one section's pair.
func (b *Precedence) resolve(own Section) section {
	s := section{user: own.User, pass: own.Pass, ips: own.IPs}
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
		if b.paths == nil {
			return b.global
		}
		publish, read, ok := b.paths(req.Path)
		if !ok {
			return b.global
		}
		if req.Action == authz.ActionPublish {
			return b.resolve(publish)
		}
		return b.resolve(read)
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
