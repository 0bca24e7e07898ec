package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/cluster"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// ErrNotAvailable marks configured features this build does not have yet.
var ErrNotAvailable = errors.New("not available in this build yet")

// Resources are long-lived stores backends read from. A nil store means
// "validate only" (streamgate check): the backend is checked, not started.
type Resources struct {
	Etcd *authn.EtcdStore
	// Cluster, when set, adds the peer backend (cluster peers' credential)
	// in front of every other.
	Cluster *cluster.Cluster
}

// QuarantineLimits maps authQuarantine.
func QuarantineLimits(c *config.Conf) authn.QuarantineLimits {
	q := c.AuthQuarantine
	return authn.QuarantineLimits{PairLimit: q.FailedAttemptLimit, UserLimit: q.UserFailedAttemptLimit,
		IPLimit: q.IPFailedAttemptLimit, Period: q.Period, MaxTracked: q.MaxTracked,
		TrustedAddresses: q.TrustedAddresses, TrustedPeriod: q.TrustedPeriod}
}

// EtcdConfig maps authEtcd.
func EtcdConfig(c *config.Conf) authn.EtcdConfig {
	e := c.AuthEtcd
	perms := permissions(e.Permissions)
	return authn.EtcdConfig{Endpoints: e.Endpoints, CA: e.TLS.CA, Cert: e.TLS.Cert, Key: e.TLS.Key,
		Username: e.Username, Password: string(e.Password), Prefix: e.Prefix, DataFormat: e.DataFormat,
		DialTimeout: e.DialTimeout, Permissions: perms}
}

// HTTPConfig maps authHTTP*.
func HTTPConfig(c *config.Conf) authn.HTTPConfig {
	return authn.HTTPConfig{Address: c.AuthHTTPAddress, Timeout: c.AuthHTTPTimeout,
		Fingerprint: c.AuthHTTPFingerprint, Exclude: permissions(c.AuthHTTPExclude)}
}

// JWTConfig maps authJWT*.
func JWTConfig(c *config.Conf, logger *slog.Logger) authn.JWTConfig {
	if logger != nil {
		logger = logger.With("backend", "jwt")
	}
	return authn.JWTConfig{JWKS: c.AuthJWTJWKS, Fingerprint: c.AuthJWTJWKSFingerprint, ClaimKey: c.AuthJWTClaimKey,
		Exclude: permissions(c.AuthJWTExclude), Issuer: c.AuthJWTIssuer, Audience: c.AuthJWTAudience,
		Leeway: c.AuthJWTLeeway, Logger: logger}
}

// TokenConfig maps authTokens.
func TokenConfig(c *config.Conf, deps authn.Deps) authn.TokenConfig {
	t := c.AuthTokens
	logger := deps.Logger
	if logger != nil {
		logger = logger.With("backend", "token")
	}
	out := authn.TokenConfig{Enabled: t.Enabled, RefreshInterval: t.RefreshInterval, Metrics: deps.Metrics, Logger: logger}
	for _, s := range t.Secrets {
		out.Secrets = append(out.Secrets, authn.TokenSecretConfig{ID: s.ID, File: s.File, Encoding: s.Encoding})
	}
	for _, v := range t.Verifications {
		actions := make([]authz.Action, len(v.Actions))
		for i, a := range v.Actions {
			actions[i] = authz.Action(a) // checked by config validation
		}
		out.Verifications = append(out.Verifications, authn.TokenVerificationConfig{Name: v.Name, Enabled: v.IsEnabled(),
			Paths: v.Paths, Actions: actions, ExcludedIPs: config.Networks(v.ExcludedIPs), SecretIDs: v.SecretIDs})
	}
	return out
}

// InternalUsers maps authInternalUsers.
func InternalUsers(c *config.Conf) []authn.InternalUser {
	out := make([]authn.InternalUser, len(c.AuthInternalUsers))
	for i := range c.AuthInternalUsers {
		u := &c.AuthInternalUsers[i]
		out[i] = authn.InternalUser{Name: u.User.Secret, Pass: u.Pass.Secret, IPs: config.Networks(u.IPs),
			Permissions: permissions(u.Permissions), Labels: u.Labels.Rule}
	}
	return out
}

// PrecedenceConfig maps seed 004's keys: authUser/authPass, the services'
// pairs, and the paths' publishUser/publishPass and readUser/readPass
// (found at request time in the configuration the backend was built from).
func PrecedenceConfig(c *config.Conf) authn.PrecedenceConfig {
	pair := func(user string, pass *config.Password) authn.Section {
		s := authn.Section{User: user}
		if pass.IsSet() {
			s.Pass = &pass.Secret
		}
		return s
	}
	out := authn.PrecedenceConfig{Global: pair(c.AuthUser, &c.AuthPass), Services: map[authz.Action]authn.Section{}}
	for action, sc := range c.ServiceCredentials() {
		out.Services[action] = pair(sc.User, sc.Pass)
	}
	paths := &c.Paths
	out.Paths = func(path string) (publish, read authn.Section, ok bool) {
		np, ok := paths.Find(path)
		if !ok {
			return authn.Section{}, authn.Section{}, false
		}
		publish, read = pair(np.PublishUser, &np.PublishPass), pair(np.ReadUser, &np.ReadPass)
		publish.IPs, read.IPs = config.Networks(np.PublishIPs), config.Networks(np.ReadIPs)
		return publish, read, true
	}
	for _, np := range c.Paths.List {
		out.PathsConfigured = out.PathsConfigured || np.PublishUser != "" || np.PublishPass.IsSet() ||
			np.ReadUser != "" || np.ReadPass.IsSet() || len(np.PublishIPs) > 0 || len(np.ReadIPs) > 0
	}
	return out
}

func permissions(ps []config.Permission) authz.Permissions {
	out := make(authz.Permissions, len(ps))
	for i, p := range ps {
		out[i] = p.Permission
	}
	return out
}

// BuildPipeline builds the backend chain of authMethod. `streamgate check`
// runs it too, so a configuration it accepts is one the daemon can run. It
// opens no connection: the etcd store comes in res, and the jwt backend
// fetches its JWKS when started (startAuth) or at its first request.
func BuildPipeline(c *config.Conf, deps authn.Deps, res Resources) (*authn.Pipeline, error) {
	var backends []authn.Backend
	for _, m := range c.AuthMethod {
		switch m {
		case "internal":
			backends = append(backends, authn.NewInternal(InternalUsers(c), deps.Verifier))
		case "http":
			b, err := authn.NewHTTP(HTTPConfig(c))
			if err != nil {
				return nil, fmt.Errorf("authHTTPAddress: %w", err)
			}
			backends = append(backends, b)
		case "jwt":
			b, err := authn.NewJWT(JWTConfig(c, deps.Logger))
			if err != nil {
				return nil, fmt.Errorf("authJWTJWKS: %w", err)
			}
			backends = append(backends, b)
		case "token":
			b, err := authn.NewToken(TokenConfig(c, deps))
			if err != nil {
				return nil, fmt.Errorf("authTokens: %w", err)
			}
			backends = append(backends, b)
		case "etcd":
			if res.Etcd != nil {
				backends = append(backends, authn.NewEtcd(res.Etcd, deps.Verifier))
			} else if _, err := authn.EtcdClientTLS(EtcdConfig(c)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("authMethod: %s: %w", m, ErrNotAvailable)
		}
	}
	// Seed 004's per-service and per-path credentials decide their own
	// sections first; sections they do not configure pass to authMethod.
	if pb, ok := authn.NewPrecedence(PrecedenceConfig(c), deps.Verifier); ok {
		backends = append([]authn.Backend{pb}, backends...)
	}
	// A cluster peer's credential is decided before anything else: no
	// section or backend sees it. The membership started with the process
	// lasts until it ends (cluster: applies after a restart).
	if res.Cluster != nil {
		backends = append([]authn.Backend{authn.NewPeer(res.Cluster.PeerAuth())}, backends...)
	}
	return authn.NewPipeline(authn.PipelineConfig{Backends: backends, CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL,
		CacheUsagePeriod: c.AuthCache.Usage.Period, CacheEvictedThreshold: c.AuthCache.Usage.EvictedThreshold}, deps), nil
}

// CheckDeps are throw-away dependencies for building a pipeline only to
// validate it.
func CheckDeps() authn.Deps {
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(authn.QuarantineLimits{})
	return authn.Deps{Verifier: authn.NewVerifier(1, q, m), Quarantine: q, Metrics: m}
}

// jwt is the running pipeline's jwt backend, nil when authMethod has none.
func (d *Daemon) jwt() *authn.JWT {
	p := d.pipeline.Load()
	if p == nil {
		return nil
	}
	for _, b := range p.Backends() {
		if j, ok := b.(*authn.JWT); ok {
			return j
		}
	}
	return nil
}

// startAuth fetches the JWKS before the listeners open, waiting at most
// jwksStartWait; a JWKS that cannot be fetched is logged and retried, and
// requests meanwhile are refused as unavailable.
func (d *Daemon) startAuth() {
	if p := d.pipeline.Load(); p != nil {
		for _, b := range p.Backends() {
			if t, ok := b.(*authn.Token); ok {
				t.Start()
			}
		}
	}
	j := d.jwt()
	if j == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), jwksStartWait)
	defer cancel()
	if err := j.Start(ctx); err != nil {
		d.logger.Warn("JWKS not loaded at start; retrying in the background", "error", err)
	}
}

// jwksStartWait bounds how long the daemon's start waits for the JWKS.
const jwksStartWait = 10 * time.Second

// refreshJWKS serves POST /v3/auth/jwks/refresh.
func (d *Daemon) refreshJWKS(ctx context.Context) error {
	j := d.jwt()
	if j == nil {
		return httpapi.ErrNoJWKS
	}
	return j.Refresh(ctx)
}
