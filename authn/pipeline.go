package authn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"resenje.org/singleflight"

	"github.com/streamgate/streamgate/authn/hash"
)

// PipelineConfig is what one configuration load gives a pipeline.
type PipelineConfig struct {
	// Backends are tried in order (authMethod).
	Backends []Backend
	// CacheSize and CacheTTL configure the decision cache (0 disables it).
	CacheSize int
	CacheTTL  time.Duration
	// CacheUsagePeriod and CacheEvictedThreshold log a warning when the
	// cache evicts CacheEvictedThreshold decisions or more within
	// CacheUsagePeriod (0 in either: no tracking).
	CacheUsagePeriod      time.Duration
	CacheEvictedThreshold int
}

// Deps outlive a configuration: a reload builds a new Pipeline with the same
// Deps, so quarantine counts, the argon2 bound and metrics carry over. The
// Verifier is built with the Quarantine (NewVerifier), which it asks again
// once a verification has its slot; a pipeline changes neither.
type Deps struct {
	Verifier   *Verifier
	Quarantine *Quarantine
	Metrics    *Metrics
	Logger     *slog.Logger
}

// Pipeline authenticates requests: quarantine → decision cache → backend
// chain → authz. It is safe for concurrent use; logins proceed in parallel in
// their callers' goroutines, and concurrent identical logins share one
// Authenticator is the pipeline as a listener sees it (Pipeline, or the
// daemon's current pipeline across reloads); every listener package takes
// one.
type Authenticator interface {
	Authenticate(ctx context.Context, req *Request) (*Identity, error)
}

// verification, which goes on while any of them still waits for it.
type Pipeline struct {
	Deps
	backends []Backend
	cache    *decisionCache
	flight   singleflight.Group[string, decision]
	fakers   []FakeHasher // argon2 parameters, for Verifier.calibrate
	versions []UserVersions
	now      func() time.Time
}

// NewPipeline builds a pipeline for one configuration.
func NewPipeline(cfg PipelineConfig, deps Deps) *Pipeline {
	p := &Pipeline{Deps: deps, backends: cfg.Backends, cache: newDecisionCache(cfg.CacheSize, cfg.CacheTTL), now: time.Now}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.cache != nil && cfg.CacheUsagePeriod > 0 && cfg.CacheEvictedThreshold > 0 {
		p.cache.usage = &cacheUsage{period: cfg.CacheUsagePeriod, threshold: cfg.CacheEvictedThreshold, size: cfg.CacheSize, logger: p.Logger}
	}
	for _, b := range cfg.Backends {
		if f, ok := b.(FakeHasher); ok {
			p.fakers = append(p.fakers, f)
		}
		if v, ok := b.(UserVersions); ok {
			p.versions = append(p.versions, v)
		}
	}
	return p
}

// decision is what the backend chain concluded.
type decision struct {
	id      *Identity
	err     error
	backend string
}

// Authenticate answers who req is and whether it may do what it asks. The
// returned Identity is shared (cached): callers must not modify it. Every
// error is an *Error. A refused login attempt (KindDenied) returns only once
// the refusal target has passed since the call began — whatever refused it:
// an unknown name, a wrong plain or hashed password, a quarantine — so that
// the causes cannot be told apart by time; the wait computes nothing.
func (p *Pipeline) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	start := time.Now()
	id, err := p.authenticate(ctx, req)
	if err != nil && !req.recheck && KindOf(err) == KindDenied {
		p.Verifier.calibrate(p.fakeHash())
		p.Verifier.padRefusal(ctx, start)
	}
	return id, err
}

func (p *Pipeline) authenticate(ctx context.Context, req *Request) (*Identity, error) {
	user := req.Credentials.User
	if blocked, scope := p.Quarantine.Blocked(quarantineName(req.Credentials), req.IP); blocked && !req.recheck {
		p.Metrics.quarantined.WithLabelValues(string(scope)).Inc()
		d := decision{err: denied(scope.reason()), backend: "quarantine"}
		p.record(ctx, req, d, false)
		return nil, d.err
	}
	if p.cache == nil || req.Credentials.Digest != nil {
		// A Digest answer is only good with its connection's nonce, which
		// Digest.Check knows and the cache does not: one answered from the
		// cache would let a sniffed header replay on a new connection.
		return p.finish(ctx, req, p.decideAndCount(ctx, req), false)
	}
	now := p.now()
	k := p.cache.key(req)
	if e, ok := p.cache.get(k, now); ok && e.version == p.userVersion(user) {
		p.Metrics.cache.WithLabelValues("hit").Inc()
		var ae *Error
		if !req.recheck && errors.As(e.err, &ae) && ae.Kind == KindDenied && failedAttempt(ae.Reason) &&
			ae.Reason != ReasonUnknownUser && p.Quarantine.Repeat(quarantineName(req.Credentials), req.IP) {
			p.quarantineStarted(ctx, req, ScopeUserIP, quarantineName(req.Credentials))
		}
		return p.finish(ctx, req, decision{id: e.id, err: e.err, backend: e.backend}, true)
	}
	p.Metrics.cache.WithLabelValues("miss").Inc()
	version := p.userVersion(user) // read first: a change while deciding invalidates the entry
	// The shared decision's context keeps ctx's values and ends only when
	// every login waiting for it has gone: one client leaving does not
	// fail the others' logins, and no decision outlives all of them.
	d, shared, err := p.flight.Do(ctx, string(k[:]), func(ctx context.Context) (decision, error) {
		d := p.decideAndCount(ctx, req)
		// Not cached: a backend's failure, a transient refusal, or a
		// decision the quarantine cut short while it waited for an argon2
		// slot (Verifier).
		if blocked, _ := p.Quarantine.Blocked(quarantineName(req.Credentials), req.IP); (!blocked || req.recheck) && cacheable(d.err) {
			p.cache.put(k, &cacheEntry{id: d.id, err: d.err, backend: d.backend, version: version}, now)
		}
		return d, nil
	})
	if err != nil { // this caller's context ended before the decision
		d = decision{err: &Error{Kind: KindUnavailable, Reason: "backend unavailable", Err: err}, backend: "none"}
	}
	return p.finish(ctx, req, d, shared)
}

// quarantineName is the name failures count against. With a JWT as the
// password the user name is arbitrary (MediaMTX's rtsp://user:JWT@…), shared
// by every client of a deployment: counting bad tokens against it would let
// anyone lock every token holder out, and tokens cannot be guessed anyway.
// Their failures count against the client address only.
func quarantineName(c Credentials) string {
	if looksLikeJWT(c.Pass) {
		return ""
	}
	return c.User
}

// Calibrate times one argon2 verification with the configured users'
// parameters in the background, unless a verification has been timed
// already, so that refusals take as long as a check from the first one on. The daemon
// calls it once the pipeline it runs is built; refusals call it too (an
// etcd store's users arrive later).
func (p *Pipeline) Calibrate() { p.Verifier.calibrate(p.fakeHash()) }

// Backends are the pipeline's backends, in authMethod order.
func (p *Pipeline) Backends() []Backend { return p.backends }

// Close closes the backends that hold resources (connection pools, the JWKS
// refresh): for the pipeline a reload replaces.
func (p *Pipeline) Close() error {
	var errs []error
	for _, b := range p.backends {
		if c, ok := b.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline) userVersion(user string) uint64 {
	var v uint64
	for _, uv := range p.versions {
		v += uv.UserVersion(user)
	}
	return v
}

// decide runs the backend chain and the permission check.
func (p *Pipeline) decide(ctx context.Context, req *Request) decision {
	var anonymous *Identity
	var anonymousBackend string
	for _, b := range p.backends {
		if _, ok := b.(DigestVerifier); req.Credentials.Digest != nil && !ok {
			continue // a backend that cannot check a Digest answer never sees one
		}
		id, err := b.Authenticate(ctx, req)
		switch {
		case errors.Is(err, ErrNotApplicable):
			continue
		case err != nil:
			var ae *Error
			if errors.As(err, &ae) {
				return decision{err: ae, backend: b.Name()}
			}
			return decision{err: &Error{Kind: KindUnavailable, Reason: "backend unavailable", Err: err}, backend: b.Name()}
		case id.Permissions.Allows(req.Action, req.Path):
			return decision{id: id, backend: b.Name()}
		case id.Anonymous():
			// "any" does not allow this; the credentials may still be
			// another backend's.
			if anonymous == nil {
				anonymous, anonymousBackend = id, b.Name()
			}
			continue
		default:
			return decision{err: forbidden(ReasonNoPermission), backend: b.Name()}
		}
	}
	backend := "none"
	if anonymous != nil {
		backend = anonymousBackend
	}
	if req.Credentials.IsEmpty() {
		return decision{err: &Error{Kind: KindAskCredentials, Reason: ReasonNoCredentials}, backend: backend}
	}
	// Unknown user: nothing to check, no hash run; Authenticate pads the
	// refusal to the time a check takes.
	return decision{err: denied(ReasonUnknownUser), backend: backend}
}

// finish applies the per-request label check to a (possibly cached)
// decision and records the outcome: one decision, one record.
func (p *Pipeline) finish(ctx context.Context, req *Request, d decision, cached bool) (*Identity, error) {
	if d.err == nil && req.Labels != nil && !d.id.Labels.Allows(req.Labels) {
		d = decision{err: forbidden(ReasonLabelRule), backend: d.backend}
	}
	p.record(ctx, req, d, cached)
	if d.err != nil {
		return nil, d.err
	}
	return d.id, nil
}

// decideAndCount decides and counts the decision towards the quarantine.
// It runs once per decision actually made: a cache hit or an answer shared
// with concurrent identical logins is no new attempt.
func (p *Pipeline) decideAndCount(ctx context.Context, req *Request) decision {
	d := p.decide(ctx, req)
	if req.recheck {
		return d // a live session asked again: no login attempt
	}
	name := quarantineName(req.Credentials)
	var ae *Error
	switch {
	case d.err == nil:
		if !d.id.Anonymous() {
			p.Quarantine.Succeed(name, req.IP)
		}
	case errors.As(d.err, &ae) && ae.Kind == KindDenied && failedAttempt(ae.Reason):
		res := p.Quarantine.Fail(name, ae.Reason != ReasonUnknownUser, req.IP, fingerprint(req.Credentials))
		if res.Untracked {
			p.Metrics.untracked.Inc()
		}
		for _, scope := range res.Started {
			p.quarantineStarted(ctx, req, scope, name)
		}
	}
	return d
}

// quarantineStarted logs and counts a quarantine that a failure began.
func (p *Pipeline) quarantineStarted(ctx context.Context, req *Request, scope Scope, name string) {
	p.Metrics.quarantines.WithLabelValues(string(scope)).Inc()
	attrs := []slog.Attr{slog.String("scope", string(scope)), slog.String("ip", req.IP.String())}
	if scope != ScopeIP {
		attrs = append(attrs, slog.String("user", name))
	}
	p.Logger.LogAttrs(ctx, slog.LevelWarn, "quarantine started", attrs...)
}

// failedAttempt reports whether a refusal with reason is a failed login
// attempt. Refusals that checked no password of the name (a quarantine, a
// full argon2 queue) or that a section with its own credentials gave a
// different name (the password may be right elsewhere) are not.
func failedAttempt(reason string) bool {
	switch reason {
	case ReasonQuarantined, ReasonUserQuarantined, ReasonIPQuarantined, ReasonSectionUser, ReasonArgon2Busy:
		return false
	}
	return true
}

// record updates metrics and the decision log: once a request (a
// preliminary grant or forbidden is left to the final check).
func (p *Pipeline) record(ctx context.Context, req *Request, d decision, cached bool) {
	if req.Preliminary && (d.err == nil || KindOf(d.err) == KindForbidden) {
		return
	}
	result := "granted"
	reason := ""
	var ae *Error
	if d.err != nil {
		errors.As(d.err, &ae)
		result, reason = ae.Kind.String(), ae.Reason
	}
	p.Metrics.decisions.WithLabelValues(d.backend, string(req.Action), string(req.Protocol), result).Inc()
	level := slog.LevelInfo
	if cached || req.recheck && d.err == nil {
		level = slog.LevelDebug // repeats of a decision already logged
	}
	if !p.Logger.Enabled(ctx, level) {
		return
	}
	user := req.Credentials.User
	if d.id != nil {
		user = d.id.User
	}
	p.Logger.LogAttrs(ctx, level, "auth decision",
		slog.String("user", user), slog.String("action", string(req.Action)), slog.String("path", req.Path),
		slog.String("protocol", string(req.Protocol)), slog.String("ip", req.IP.String()),
		slog.String("backend", d.backend), slog.Bool("granted", d.err == nil), slog.String("result", result),
		slog.String("reason", reason), slog.Bool("cached", cached))
}

// fakeHash is the first backend's fake hash, timed once to learn how long an
// argon2 check takes (Verifier.calibrate); asked per use because a store's
// users (and so its parameters) may arrive after the pipeline is built.
func (p *Pipeline) fakeHash() *hash.Argon2 {
	for _, f := range p.fakers {
		if h := f.FakeHash(); h != nil {
			return h
		}
	}
	return nil
}
