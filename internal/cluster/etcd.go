package cluster

import (
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

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
// connecting and reconnects within about a second once etcd is back. It is
// the cluster's one client constructor: the registry and the shared
// quarantine use it.
func NewEtcdClient(o EtcdOptions) (*clientv3.Client, error) {
	tlsCfg, err := authn.EtcdClientTLS(authn.EtcdConfig{Endpoints: o.Endpoints, CA: o.CA, Cert: o.Cert, Key: o.Key})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	attempt := 5 * time.Second
	if o.DialTimeout > 0 && o.DialTimeout < attempt {
		attempt = o.DialTimeout
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:            o.Endpoints,
		TLS:                  tlsCfg,
		Username:             o.Username,
		Password:             o.Password,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: attempt,
		})},
		Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, redact.Error(fmt.Errorf("cluster: etcd client: %w", err))
	}
	return client, nil
}
