package config

import (
	"net"
	"strings"
	"time"

	"github.com/streamgate/streamgate/internal/instancename"
)

// Cluster configures a fleet of instances on one etcd (README "Cluster"):
// a registry of who serves which path, reads relayed from the instance
// that has the publisher, and one quarantine state.
type Cluster struct {
	// Enabled joins this instance to the cluster.
	Enabled bool `yaml:"enabled"`
	// Name identifies this instance among its peers; unique in the cluster.
	// Letters, digits and _-. only; empty: the host name.
	Name string `yaml:"name"`
	// Etcd is the cluster's etcd connection, as authEtcd's. No endpoints:
	// authEtcd's connection is reused.
	Etcd EtcdConnection `yaml:"etcd"`
	// Prefix is the etcd key prefix of the cluster's records.
	Prefix string `yaml:"prefix"`
	// AdvertiseAddress is where peers reach this instance's RTSP listener
	// (RTSPS when tls is set), as host:port; port 0 is the port that
	// listener bound.
	AdvertiseAddress string `yaml:"advertiseAddress"`
	// LeaseTTL is the lifetime of this instance's etcd lease: a dead
	// instance and its paths leave the registry within it.
	LeaseTTL time.Duration `yaml:"leaseTTL"`
	// SecretFile holds the secret shared by the cluster's instances, from
	// which peers derive the credential they read each other's streams with.
	SecretFile string `yaml:"secretFile"`
	// TLS, when set, makes peers read each other over RTSPS with mutual
	// TLS: this instance's client certificate and the CA peers' certificates
	// must chain to.
	TLS EtcdTLS `yaml:"tls"`
	// RelaySavant feeds this instance's Savant output with streams it relays
	// from peers too (by default only the owner's output gets a stream).
	RelaySavant bool `yaml:"relaySavant"`
	// QuarantineInterval is how often failed-login counts are written to
	// etcd in one batch (and peers' counts read back).
	QuarantineInterval time.Duration `yaml:"quarantineInterval"`
}

func validateCluster(d *decoder, c *Conf) {
	cl := &c.Cluster
	if !cl.Enabled {
		return
	}
	if len(cl.Etcd.Endpoints) == 0 && len(c.AuthEtcd.Endpoints) == 0 {
		d.errAt("cluster.etcd.endpoints", "must list at least one URL (or set authEtcd.endpoints to share its connection)")
	}
	validateEtcdConnection(d, "cluster.etcd", &cl.Etcd)
	if !strings.HasPrefix(cl.Prefix, "/") {
		d.errAt("cluster.prefix", "must begin with /, got %q", cl.Prefix)
	}
	if cl.Name != "" && !instancename.Valid(cl.Name) {
		d.errAt("cluster.name", "only letters, digits and _-. are allowed (a host name), got %q", cl.Name)
	}
	if cl.AdvertiseAddress == "" {
		d.errAt("cluster.advertiseAddress", "must be set: the host:port where peers reach this instance's RTSP listener")
	} else if host, _, err := net.SplitHostPort(cl.AdvertiseAddress); err != nil || host == "" {
		d.errAt("cluster.advertiseAddress", "want host:port with a host peers can reach, got %q", cl.AdvertiseAddress)
	} else {
		checkAddress(d, "cluster.advertiseAddress", cl.AdvertiseAddress)
	}
	if cl.LeaseTTL < 2*time.Second {
		d.errAt("cluster.leaseTTL", "must be at least 2s (etcd's lease granularity is 1s), got %s", cl.LeaseTTL)
	}
	positive(d, "cluster.quarantineInterval", cl.QuarantineInterval)
	if cl.SecretFile == "" {
		d.errAt("cluster.secretFile", "must be set: peers authenticate each other with its secret")
	} else {
		fileExists(d, "cluster.secretFile", cl.SecretFile)
	}
	if (cl.TLS.Cert == "") != (cl.TLS.Key == "") || (cl.TLS.Cert != "" && cl.TLS.CA == "") {
		d.errAt("cluster.tls", "ca, cert and key must be set together")
	}
	for k, f := range map[string]string{"ca": cl.TLS.CA, "cert": cl.TLS.Cert, "key": cl.TLS.Key} {
		fileExists(d, "cluster.tls."+k, f)
	}
	if !c.RTSP {
		d.errAt("cluster.enabled", "needs the RTSP listener (rtsp: yes): peers relay streams over it")
	} else if cl.TLS.Cert != "" && c.RTSPEncryption == "no" {
		d.errAt("cluster.tls", "needs the RTSPS listener (rtspEncryption: optional or strict): peers relay over it")
	} else if cl.TLS.Cert == "" && c.RTSPEncryption == "strict" {
		d.errAt("cluster.tls", "must be set with rtspEncryption: strict (no plain RTSP listener for peers to relay over)")
	}
}
