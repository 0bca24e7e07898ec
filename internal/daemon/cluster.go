package daemon

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/cluster"
	"github.com/streamgate/streamgate/protocols/httpapi"
	"github.com/streamgate/streamgate/protocols/stream"
)

// ClusterOptions maps cluster: onto the cluster package's options: the
// name defaults to the host name, the etcd connection to authEtcd's when
// cluster.etcd lists no endpoints; the secret file is read, the peer TLS
// files loaded.
func ClusterOptions(c *config.Conf) (cluster.Options, error) {
	cl := &c.Cluster
	name := cl.Name
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return cluster.Options{}, fmt.Errorf("cluster.name: empty and no host name: %w", err)
		}
		name = h
	}
	conn := cl.Etcd
	if len(conn.Endpoints) == 0 {
		conn = c.AuthEtcd.EtcdConnection
	}
	secret, err := os.ReadFile(cl.SecretFile)
	if err != nil {
		return cluster.Options{}, fmt.Errorf("cluster.secretFile: %w", err)
	}
	secret = bytes.TrimSpace(secret)
	if len(secret) == 0 {
		return cluster.Options{}, fmt.Errorf("cluster.secretFile: %s is empty", cl.SecretFile)
	}
	o := cluster.Options{
		Name: name,
		Etcd: cluster.EtcdOptions{Endpoints: conn.Endpoints, CA: conn.TLS.CA, Cert: conn.TLS.Cert, Key: conn.TLS.Key,
			Username: conn.Username, Password: string(conn.Password), DialTimeout: conn.DialTimeout},
		Prefix:           cl.Prefix,
		AdvertiseAddress: cl.AdvertiseAddress,
		LeaseTTL:         cl.LeaseTTL,
		Secret:           secret,
		ReadTimeout:      c.ReadTimeout,
		WriteTimeout:     c.WriteTimeout,
	}
	if cl.TLS.Cert != "" {
		pair, err := tls.LoadX509KeyPair(cl.TLS.Cert, cl.TLS.Key)
		if err != nil {
			return cluster.Options{}, fmt.Errorf("cluster.tls: %w", err)
		}
		pem, err := os.ReadFile(cl.TLS.CA)
		if err != nil {
			return cluster.Options{}, fmt.Errorf("cluster.tls.ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return cluster.Options{}, fmt.Errorf("cluster.tls.ca: no certificate in %s", cl.TLS.CA)
		}
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}, RootCAs: roots}
	}
	return o, nil
}

// peerClientCAs makes the RTSPS listener request (not require, nor check
// at the TLS layer) a client certificate when cluster.tls is set, and
// returns the cluster CA the listener checks it against itself: peers
// present theirs and the peer credential is accepted over it only, while
// an ordinary client presenting a certificate of another CA is served as
// one without (nil: no cluster TLS).
func peerClientCAs(c *config.Conf, t *tls.Config) (*x509.CertPool, error) {
	if !c.Cluster.Enabled || c.Cluster.TLS.CA == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.Cluster.TLS.CA)
	if err != nil {
		return nil, fmt.Errorf("cluster.tls.ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster.tls.ca: no certificate in %s", c.Cluster.TLS.CA)
	}
	t.ClientAuth = tls.RequestClientCert
	return pool, nil
}

// startCluster makes this instance a cluster member (New): the hub asks
// it before a path gets a publisher and for the paths nobody publishes
// here.
func (d *Daemon) startCluster(c *config.Conf) error {
	if !c.Cluster.Enabled {
		return nil
	}
	o, err := ClusterOptions(c)
	if err != nil {
		return err
	}
	cl, err := cluster.New(o, d.hub, nil, d.registry, d.logger.With("component", "cluster"))
	if err != nil {
		return err
	}
	d.res.Cluster = cl
	d.hub.SetClaim(cl.Claim)
	return nil
}

// joinCluster starts the membership once the RTSP listeners are bound: an
// advertised port 0 is the port the RTSP listener (RTSPS with cluster.tls)
// bound.
func (d *Daemon) joinCluster(c *config.Conf) {
	cl := d.res.Cluster
	if cl == nil {
		return
	}
	if host, port, err := net.SplitHostPort(c.Cluster.AdvertiseAddress); err == nil && port == "0" {
		for i, s := range d.rtsp {
			tlsListener := i > 0 || (c.RTSPEncryption == "strict") // endpoints: the plain listener comes first
			if tlsListener == (c.Cluster.TLS.Cert != "") {
				if _, p, err := net.SplitHostPort(s.Addr()); err == nil {
					cl.SetAdvertiseAddress(net.JoinHostPort(host, p))
				}
				break
			}
		}
	}
	cl.Start()
}

// demandFunc is the hub's DemandFunc: a path's runOnDemand, else, in a
// cluster, a relay of the peer that publishes it — never for a peer's own
// relay read (cluster.RelayQuery), which only a local publisher serves.
func (d *Daemon) demandFunc(name, query string) (stream.Demand, stream.DemandOptions, bool) {
	if dm, o, ok := d.runOnDemandFunc(name, query); ok {
		return dm, o, ok
	}
	if cl := d.res.Cluster; cl != nil && !cluster.IsRelay(query) {
		if np, ok := d.conf.Load().Paths.Find(name); ok && (np.Source == "" || np.Source == "publisher") {
			return cl.Demand(name, relayTimings(np))
		}
	}
	return nil, stream.DemandOptions{}, false
}

// relayTimings maps a path's sourceOnDemandStartTimeout and
// sourceOnDemandCloseAfter (its own, else pathDefaults') onto its relay
// from a peer, as for an on-demand pulled source.
func relayTimings(np *config.NamedPath) cluster.RelayTimings {
	return cluster.RelayTimings{StartTimeout: np.SourceOnDemandStartTimeout, CloseAfter: np.SourceOnDemandCloseAfter}
}

// clusterList is the API's cluster list, nil when the cluster is off.
func (d *Daemon) clusterList() func() ([]httpapi.ClusterMember, error) {
	if d.res.Cluster == nil {
		return nil
	}
	return d.clusterMembers
}

// clusterMembers answers GET /v3/cluster/list.
func (d *Daemon) clusterMembers() ([]httpapi.ClusterMember, error) {
	ms, err := d.res.Cluster.Members()
	if err != nil {
		return nil, err
	}
	out := make([]httpapi.ClusterMember, len(ms))
	for i, m := range ms {
		out[i] = httpapi.ClusterMember{Name: m.Name, Address: m.Address, State: m.State, Paths: m.Paths, Since: m.Since}
	}
	return out, nil
}
