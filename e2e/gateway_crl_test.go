package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

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
			ca := testharness.NewCA(t, dir, "ca")
			caPEM, err := os.ReadFile(ca.File)
			if err != nil {
				t.Fatal(err)
			}
			// OpenSSL's hash-directory layout: HASH.N certificates, HASH.rN CRLs.
			testharness.WriteFile(t, lookup, "5d2a9c1e.0", string(caPEM))
			srvCert, srvKey := ca.IssueServer(t, dir, "server")
			goodCert, goodKey := ca.IssueClient(t, dir, "client")
			revokedCert, revokedKey := ca.IssueClient(t, dir, "revoked")
			ca.WriteCRL(t, filepath.Join(lookup, "5d2a9c1e.r0"), 1, revokedCert)
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
			health := func(certFile, keyFile string) error {
				c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
					TLSClientConfig: ca.ClientTLS(t, certFile, keyFile)}}
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
			ca.WriteCRL(t, filepath.Join(lookup, "5d2a9c1e.r1"), 2, revokedCert, goodCert)
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
