package rtsp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// testCert issues a certificate of name signed by parent (self-signed when
// nil), a CA when ca.
func testCert(t *testing.T, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, usage ...x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: usage,
		KeyUsage: x509.KeyUsageDigitalSignature}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// verifyClientCert: a client certificate verifies against the cluster CA
// (through an intermediate the client sends too); one of another CA, one
// for servers only, or none does not.
func TestVerifyClientCert(t *testing.T) {
	ca, caKey := testCert(t, "cluster-ca", nil, nil, true)
	other, otherKey := testCert(t, "other-ca", nil, nil, true)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	client, _ := testCert(t, "peer", ca, caKey, false, x509.ExtKeyUsageClientAuth)
	serverOnly, _ := testCert(t, "server", ca, caKey, false, x509.ExtKeyUsageServerAuth)
	foreign, _ := testCert(t, "someone", other, otherKey, false, x509.ExtKeyUsageClientAuth)
	inter, interKey := testCert(t, "intermediate", ca, caKey, true)
	viaInter, _ := testCert(t, "peer2", inter, interKey, false, x509.ExtKeyUsageClientAuth)
	for _, c := range []struct {
		what  string
		chain []*x509.Certificate
		want  bool
	}{
		{"the cluster CA's client certificate", []*x509.Certificate{client}, true},
		{"through an intermediate", []*x509.Certificate{viaInter, inter}, true},
		{"the intermediate missing", []*x509.Certificate{viaInter}, false},
		{"another CA's", []*x509.Certificate{foreign}, false},
		{"another CA's with the cluster CA appended", []*x509.Certificate{foreign, ca}, false},
		{"for servers only", []*x509.Certificate{serverOnly}, false},
		{"none", nil, false},
	} {
		if got := verifyClientCert(c.chain, roots); got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
}
