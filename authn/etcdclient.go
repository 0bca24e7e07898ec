package authn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/redact"
)

// EtcdConfig configures an EtcdStore.
type EtcdConfig struct {
	Endpoints          []string
	CA, Cert, Key      string // PEM files
	Username, Password string
	Prefix             string
	DataFormat         string // json or yaml
	DialTimeout        time.Duration
	// Permissions are granted to users whose record has none.
	Permissions authz.Permissions
}

// newEtcdClient makes a client of cfg's endpoints, TLS and credentials
// that does not block while connecting.
func newEtcdClient(cfg EtcdConfig) (*clientv3.Client, error) {
	cc, err := EtcdClientConfig(cfg, 5*time.Second)
	if err != nil {
		return nil, err
	}
	client, err := clientv3.New(cc)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("authn/etcd: client: %w", err))
	}
	return client, nil
}

// EtcdClientConfig is the client configuration of cfg's endpoints, TLS and
// credentials: the client does not block while connecting, pings the
// server every keepAlive (a ping unanswered for 2 s ends the connection)
// and reconnects as etcdConnectParams says. newEtcdClient and the
// cluster's client (cluster.NewEtcdClient) use it.
func EtcdClientConfig(cfg EtcdConfig, keepAlive time.Duration) (clientv3.Config, error) {
	tlsCfg, err := EtcdClientTLS(cfg)
	if err != nil {
		return clientv3.Config{}, err
	}
	return clientv3.Config{
		Endpoints:            cfg.Endpoints,
		TLS:                  tlsCfg,
		Username:             cfg.Username,
		Password:             cfg.Password,
		DialKeepAliveTime:    keepAlive,
		DialKeepAliveTimeout: 2 * time.Second,
		DialOptions:          []grpc.DialOption{grpc.WithConnectParams(etcdConnectParams(cfg.DialTimeout))},
		Logger:               zap.NewNop(),
	}, nil
}

// etcdConnectParams: after a failed connection attempt the client waits
// 100 ms, then 1.6 times longer each time (jittered by 20%), up to one
// second at most, and so does the connection. One connection attempt (TCP and
// TLS) gets dialTimeout, at most 5 s, so that an attempt hanging in a network
// partition does not delay the reconnection long after the partition ends.
func etcdConnectParams(dialTimeout time.Duration) grpc.ConnectParams {
	attempt := 5 * time.Second
	if dialTimeout > 0 && dialTimeout < attempt {
		attempt = dialTimeout
	}
	return grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
		MinConnectTimeout: attempt,
	}
}

// EtcdClientTLS builds the TLS settings of an etcd client (nil: plain).
func EtcdClientTLS(cfg EtcdConfig) (*tls.Config, error) {
	if cfg.CA == "" && cfg.Cert == "" && !anyHTTPS(cfg.Endpoints) {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CA != "" {
		pem, err := os.ReadFile(cfg.CA)
		if err != nil {
			return nil, fmt.Errorf("authn/etcd: tls ca: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("authn/etcd: tls ca: no certificate in %s", cfg.CA)
		}
	}
	if cfg.Cert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("authn/etcd: tls client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}

func anyHTTPS(eps []string) bool {
	for _, e := range eps {
		if strings.HasPrefix(e, "https://") {
			return true
		}
	}
	return false
}
