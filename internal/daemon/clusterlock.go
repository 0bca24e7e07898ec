package daemon

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/clusterlock"
)

// startClusterLock shares the quarantine's counts with the cluster and
// follows cluster-wide kicks (cluster.enabled).
func (d *Daemon) startClusterLock(c *config.Conf) error {
	if !c.Cluster.Enabled {
		return nil
	}
	o, err := ClusterOptions(c) // the name and secret, as the registry reads them
	if err != nil {
		return err
	}
	var client *clientv3.Client
	if d.res.Cluster != nil {
		client = d.res.Cluster.Client() // one etcd connection for the registry and the lockout state
	}
	tracked := 3 * max(c.AuthQuarantine.MaxTracked, 1)
	var trusted time.Duration
	if c.AuthQuarantine.TrustedAddresses > 0 {
		trusted = c.AuthQuarantine.TrustedPeriod
	}
	l, err := clusterlock.Start(clusterlock.Options{
		Client: client, Etcd: o.Etcd,
		Prefix: c.Cluster.Prefix, Name: o.Name, Secret: o.Secret,
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
