package cluster

import (
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/redact"
)

// EtcdOptions say how to reach the cluster's etcd (cluster.etcd, or
// authEtcd's connection when that has no endpoints).
type EtcdOptions struct {
	// Endpoints are the etcd client URLs.
	Endpoints []string
	// CA, Cert and Key are PEM files: the CA etcd's certificate chains to,
	// and this instance's client certificate.
	CA, Cert, Key string
	// Username and Password authenticate to etcd.
	Username, Password string
	// DialTimeout bounds one connection attempt (at most 5 s is used).
	DialTimeout time.Duration
}

// NewEtcdClient makes an etcd client of o that does not block while
// connecting and reconnects within about a second once etcd is back; it
// pings etcd every 2 s (the authentication store's client: every 5 s). It
// is the cluster's one client constructor: the registry and the shared
// quarantine use it.
func NewEtcdClient(o EtcdOptions) (*clientv3.Client, error) {
	cc, err := authn.EtcdClientConfig(authn.EtcdConfig{Endpoints: o.Endpoints, CA: o.CA, Cert: o.Cert, Key: o.Key,
		Username: o.Username, Password: o.Password, DialTimeout: o.DialTimeout}, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	client, err := clientv3.New(cc)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("cluster: etcd client: %w", err))
	}
	return client, nil
}
