package e2e_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/testharness"
)

// TestClusterForeignClientCert: with cluster.tls, the RTSPS listener takes
// any client certificate; the cluster CA matters only to the peer
// credential. An ordinary client presenting a certificate of another CA
// reads with ordinary credentials; the peer credential over that
// certificate is refused like any wrong login, and accepted over one of
// the cluster CA. Then a path name with odd characters is relayed.
func TestClusterForeignClientCert(t *testing.T) {
	e := testharness.StartEtcd(t)
	dir := t.TempDir()
	secretFile := clusterSecretFile(t, dir, clusterSecret)
	oddPaths := "  ~^cams/.+$: {}\n"
	a := startClusterInstance(t, e, secretFile, "a", oddPaths)
	b := startClusterInstance(t, e, secretFile, "b", oddPaths) // the registered peer whose credential is used
	waitClusterListed(t, 2, a)
	rtspGoPublish(t, rtspURL(a, rtspPubUser, rtspPubPass, "cam"))
	rtspWaitPath(t, a, "cam", 10*time.Second, nil)

	other := testharness.NewCA(t, dir, "other-ca")
	certFile, keyFile := other.IssueClient(t, dir, "someone")
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	foreign := clusterPeerTLS(t, e, false)
	// Sent whatever CAs the server names (as OpenSSL clients do; Go's
	// would otherwise send none of another CA).
	foreign.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }

	// An ordinary reader with the foreign certificate plays cam.
	r, err := rtspGoReadTLS("rtsps://"+rtspReadUser+":"+rtspReadPass+"@"+a.Addr("rtsps")+"/cam", foreign)
	if err != nil {
		t.Fatalf("ordinary reader with another CA's client certificate: %v", err)
	}
	defer r.Close()
	testharness.WaitEvery(t, "the reader gets packets", 10*time.Second, clusterPoll, func() bool { return r.packets.Load() > 3 })

	// The peer credential: refused over the foreign certificate, accepted
	// over the cluster's.
	user, pass := authn.PeerUser("b"), authn.PeerPassword([]byte(clusterSecret), "b")
	if got := clusterRequest(t, "127.0.0.1", a.Addr("rtsps"), foreign, "DESCRIBE", "cam", user, pass); got != "401" {
		t.Errorf("peer credential over another CA's certificate: %s, want 401", got)
	}
	if got := clusterRequest(t, "127.0.0.1", a.Addr("rtsps"), clusterPeerTLS(t, e, true), "DESCRIBE", "cam", user, pass); got != "200" {
		t.Errorf("peer credential over the cluster CA's certificate: %s, want 200", got)
	}

	// A path name with every odd character a name may have goes through
	// the registry (etcd key) and the relay's URL: read on b.
	const odd = "cams/x:1~a.b_c-d"
	rtspGoPublish(t, rtspURL(a, rtspPubUser, rtspPubPass, odd))
	testharness.WaitEvery(t, "b lists the odd path on a", 10*time.Second, clusterPoll, func() bool { return clusterOwner(t, b, odd) == "a" })
	rb, err := rtspGoRead(rtspURL(b, rtspReadUser, rtspReadPass, odd))
	if err != nil {
		t.Fatalf("reading %s on b through the relay: %v", odd, err)
	}
	defer rb.Close()
	testharness.WaitEvery(t, "b's reader of the odd path gets packets", 10*time.Second, clusterPoll, func() bool { return rb.packets.Load() > 3 })
}
