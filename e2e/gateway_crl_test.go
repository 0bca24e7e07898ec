package e2e_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// writeCRL writes a CRL of ca numbered n, revoking the serials of certFiles,
// to path (PEM, as openssl ca -gencrl writes it).
func (ca *testCA) writeCRL(t *testing.T, path string, n int64, certFiles ...string) {
	t.Helper()
	var revoked []x509.RevocationListEntry
	for _, f := range certFiles {
		revoked = append(revoked, x509.RevocationListEntry{SerialNumber: readCert(t, f).SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(n), ThisUpdate: time.Now().Add(-time.Minute + time.Duration(n)*time.Second),
		NextUpdate: time.Now().Add(time.Hour), RevokedCertificateEntries: revoked}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	// Written aside and renamed: the daemon never reads half a file.
	tmp := path + ".tmp"
	writePEMFile(t, tmp, "X509 CRL", der)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(file, file[:len(file)-len(".crt")]+".key")
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGatewayClientCRL: with CRLs enabled — the Media Gateway's
// tls.peers.crl_enabled, or gatewayClientCRL in YAML — a client certificate
// revoked by a CRL in the lookup directory fails the handshake, an
// unrevoked one gets through, and a CRL added while the daemon runs takes
// effect without a restart.
func TestGatewayClientCRL(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"json", "yaml"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			lookup := filepath.Join(dir, "lookup-hash-dir")
			if err := os.Mkdir(lookup, 0o700); err != nil {
				t.Fatal(err)
			}
			ca := newTestCA(t, dir, "ca")
			caPEM, err := os.ReadFile(ca.file)
			if err != nil {
				t.Fatal(err)
			}
			// OpenSSL's hash-directory layout: HASH.N certificates, HASH.rN CRLs.
			if err := os.WriteFile(filepath.Join(lookup, "5d2a9c1e.0"), caPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			srvCert, srvKey := ca.issue(t, dir, "server", net.ParseIP("127.0.0.1"))
			goodCert, goodKey := ca.issue(t, dir, "client", nil)
			revokedCert, revokedKey := ca.issue(t, dir, "revoked", nil)
			ca.writeCRL(t, filepath.Join(lookup, "5d2a9c1e.r0"), 1, revokedCert)
			ipc := testharness.IPCEndpoint(t, "crl-"+dialect)
			var d *testharness.Daemon
			if dialect == "json" {
				d = testharness.Start(t, fmt.Sprintf(`{
    "ip": "127.0.0.1",
    "port": 0,
    "tls": {
        "identity": {"certificate": %q, "key": %q},
        "peers": {"lookup_hash_directory": %q, "crl_enabled": true}
    },
    "out_stream": {"url": "pub+bind:%s"}
}`, srvCert, srvKey, lookup, ipc), testharness.ConfigFileName("media-gateway-server.json"),
					testharness.WithEnv("MTX_API=yes")) // readiness over plain HTTP
			} else {
				d = testharness.Start(t, fmt.Sprintf(`
gateway: yes
gatewayEncryption: yes
gatewayServerCert: %s
gatewayServerKey: %s
gatewayClientCA: %s
gatewayClientCRL: yes
authInternalUsers:
- {user: any, permissions: [{action: gateway}, {action: api}]}
savant:
  url: pub+bind:%s
`, srvCert, srvKey, lookup, ipc))
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.cert)
			health := func(certFile, keyFile string) error {
				pair, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					t.Fatal(err)
				}
				c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
					TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
				resp, err := c.Get(d.URL("gateway", "/health"))
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			}
			if err := health(goodCert, goodKey); err != nil {
				t.Fatalf("unrevoked client certificate: %v", err)
			}
			if err := health(revokedCert, revokedKey); err == nil {
				t.Fatal("a revoked client certificate got through")
			}
			// A newer CRL that revokes the other certificate too, added at runtime.
			ca.writeCRL(t, filepath.Join(lookup, "5d2a9c1e.r1"), 2, revokedCert, goodCert)
			deadline := time.Now().Add(10 * time.Second)
			for health(goodCert, goodKey) == nil {
				if time.Now().After(deadline) {
					t.Fatal("a certificate revoked by a CRL added at runtime still gets through after 10 s")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
