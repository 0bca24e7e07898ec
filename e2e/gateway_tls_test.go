package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
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

// testCA is a throw-away certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, file: filepath.Join(dir, name+".crt")}
	writePEMFile(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue makes a leaf certificate (server when ip is set, client otherwise)
// and returns its cert and key files.
func (ca *testCA) issue(t *testing.T, dir, name string, ip net.IP) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEMFile(t, certFile, "CERTIFICATE", der)
	writePEMFile(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEMFile(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The gateway over HTTPS with client certificates verified against a CA
// (the Media Gateway's tls.peers): no certificate or one from another CA
// fails the handshake; a good one reaches Basic authentication.
func TestGatewayHTTPSWithClientCertificates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	other := newTestCA(t, dir, "other-ca")
	srvCert, srvKey := ca.issue(t, dir, "server", net.ParseIP("127.0.0.1"))
	goodCert, goodKey := ca.issue(t, dir, "client", nil)
	badCert, badKey := other.issue(t, dir, "intruder", nil)
	d := testharness.Start(t, fmt.Sprintf(`
gateway: yes
gatewayEncryption: yes
gatewayServerCert: %s
gatewayServerKey: %s
gatewayClientCA: %s
authInternalUsers:
- {user: cam, pass: cam-secret-1, permissions: [{action: gateway}]}
- {user: any, ips: [127.0.0.1], permissions: [{action: api}]}
savant:
  url: pub+bind:%s
`, srvCert, srvKey, ca.file, testharness.IPCEndpoint(t, "tls")))
	url := d.URL("gateway", "/")
	if url[:6] != "https:" {
		t.Fatalf("gateway URL %s is not https", url)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	client := func(certFile, keyFile string) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if certFile != "" {
			pair, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	for name, c := range map[string]*http.Client{"no client certificate": client("", ""), "certificate of another CA": client(badCert, badKey)} {
		if _, err := tryPost(c, url, "application/protobuf", nil, basicAuth("cam", "cam-secret-1")); err == nil {
			t.Errorf("%s: the request went through", name)
		}
	}
	good := client(goodCert, goodKey)
	a, err := tryPost(good, url, "application/protobuf", nil, basicAuth("cam", "cam-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "good certificate, good password, empty body", a, http.StatusBadRequest)
	a, err = tryPost(good, url, "application/protobuf", nil, basicAuth("cam", "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	wantChallenge(t, "good certificate, wrong password", a, "streamgate")
	resp, err := good.Get(d.URL("gateway", "/health"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/health over TLS: %d", resp.StatusCode)
	}
}
