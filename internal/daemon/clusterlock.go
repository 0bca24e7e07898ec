package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/clusterlock"
)

// clusterLockEtcd maps cluster.etcd, or authEtcd's connection when it
// lists no endpoints.
func clusterLockEtcd(c *config.Conf) authn.EtcdConfig {
	e := c.Cluster.Etcd
	if len(e.Endpoints) == 0 {
		e = c.AuthEtcd.EtcdConnection
	}
	return authn.EtcdConfig{Endpoints: e.Endpoints, CA: e.TLS.CA, Cert: e.TLS.Cert, Key: e.TLS.Key,
		Username: e.Username, Password: string(e.Password), DialTimeout: e.DialTimeout}
}

// clusterLockName is cluster.name, or the host name.
func clusterLockName(c *config.Conf) (string, error) {
	if c.Cluster.Name != "" {
		return c.Cluster.Name, nil
	}
	return os.Hostname()
}

// startClusterLock shares the quarantine's counts with the cluster and
// follows cluster-wide kicks (cluster.enabled).
func (d *Daemon) startClusterLock(c *config.Conf) error {
	if !c.Cluster.Enabled {
		return nil
	}
	secret, err := os.ReadFile(c.Cluster.SecretFile)
	if err != nil {
		return fmt.Errorf("cluster.secretFile: %w", err)
	}
	secret = bytes.TrimSpace(secret)
	if len(secret) == 0 {
		return fmt.Errorf("cluster.secretFile: %s is empty", c.Cluster.SecretFile)
	}
	name, err := clusterLockName(c)
	if err != nil {
		return fmt.Errorf("cluster.name: no host name to default to: %w", err)
	}
	tracked := 3 * max(c.AuthQuarantine.MaxTracked, 1)
	var trusted time.Duration
	if c.AuthQuarantine.TrustedAddresses > 0 {
		trusted = c.AuthQuarantine.TrustedPeriod
	}
	l, err := clusterlock.Start(clusterlock.Options{
		Etcd: clusterLockEtcd(c), Prefix: c.Cluster.Prefix, Name: name, Secret: secret,
		Interval: c.Cluster.QuarantineInterval, Period: c.AuthQuarantine.Period, TrustedPeriod: trusted,
		MaxPending: tracked, MaxPeerKeys: tracked, OnKick: d.conns.KickUser,
		Registerer: d.registry, Logger: d.logger.With("component", "cluster"),
	}, d.deps.Quarantine)
	if err != nil {
		return err
	}
	d.clusterLock = l
	return nil
}

// stopClusterLock flushes the last counts and leaves the cluster's
// lockout state.
func (d *Daemon) stopClusterLock() {
	if d.clusterLock != nil {
		_ = d.clusterLock.Close()
		d.clusterLock = nil
	}
}

// clusterKick is POST /v3/cluster/kick's action (nil when the cluster is
// off): the kick is put in etcd for the peers, then this instance's
// sessions of user end.
func (d *Daemon) clusterKick() func(ctx context.Context, user string) (int, error) {
	l := d.clusterLock
	if l == nil {
		return nil
	}
	return func(ctx context.Context, user string) (int, error) {
		if err := l.Kick(ctx, user); err != nil {
			return 0, err
		}
		return d.conns.KickUser(func(u string) bool { return u == user }), nil
	}
}
