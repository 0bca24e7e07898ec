package daemon

import (
	"errors"
	"fmt"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// ErrNotAvailable marks configured features this build does not have yet.
var ErrNotAvailable = errors.New("not available in this build yet")

// Resources are long-lived stores backends read from. A nil store means
// "validate only" (streamgate check): the backend is checked, not started.
type Resources struct {
	Etcd *authn.EtcdStore
}

// QuarantineLimits maps authQuarantine.
func QuarantineLimits(c *config.Conf) authn.QuarantineLimits {
	q := c.AuthQuarantine
	return authn.QuarantineLimits{UserLimit: q.FailedAttemptLimit, IPLimit: q.IPFailedAttemptLimit, Period: q.Period, MaxTracked: q.MaxTracked}
}

// EtcdConfig maps authEtcd.
func EtcdConfig(c *config.Conf) authn.EtcdConfig {
	e := c.AuthEtcd
	perms := make(authz.Permissions, len(e.Permissions))
	for i, p := range e.Permissions {
		perms[i] = p.Permission
	}
	return authn.EtcdConfig{Endpoints: e.Endpoints, CA: e.TLS.CA, Cert: e.TLS.Cert, Key: e.TLS.Key,
		Username: e.Username, Password: string(e.Password), Prefix: e.Prefix, DataFormat: e.DataFormat,
		DialTimeout: e.DialTimeout, Permissions: perms}
}

// BuildPipeline builds the backend chain of authMethod. `streamgate check`
// runs it too, so a configuration it accepts is one the daemon can run.
func BuildPipeline(c *config.Conf, deps authn.Deps, res Resources) (*authn.Pipeline, error) {
	var backends []authn.Backend
	for _, m := range c.AuthMethod {
		switch m {
		case "internal":
			backends = append(backends, authn.NewInternal(c.AuthInternalUsers, deps.Verifier))
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
	if c.AuthUser != "" || c.AuthPass.IsSet() {
		return nil, fmt.Errorf("authUser/authPass (per-service credentials): %w", ErrNotAvailable)
	}
	return authn.NewPipeline(authn.PipelineConfig{Backends: backends, CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL}, deps), nil
}

// CheckDeps are throw-away dependencies for building a pipeline only to
// validate it.
func CheckDeps() authn.Deps {
	m := authn.NewMetrics(nil)
	return authn.Deps{Verifier: authn.NewVerifier(1, m), Quarantine: authn.NewQuarantine(authn.QuarantineLimits{}), Metrics: m}
}
