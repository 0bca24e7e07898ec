package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{c, key}
}

func (ca *testCA) leaf(t *testing.T, serial int64) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func (ca *testCA) crl(t *testing.T, number int64, next time.Time, serials ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(number),
		ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: next, RevokedCertificateEntries: entries}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPeersCRL: revoked, unrevoked, no CRL, an expired CRL, a CRL signed
// by another CA (ignored), the newest of two CRLs, and a change of the
// directory seen after PeersRecheck.
func TestPeersCRL(t *testing.T) {
	dir := t.TempDir()
	ca, other := newCA(t, "ca"), newCA(t, "other")
	write(t, filepath.Join(dir, "ca.0"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
	good, revoked := ca.leaf(t, 10), ca.leaf(t, 11)
	stranger := other.leaf(t, 12)

	p, err := NewPeers(PeersConfig{Path: dir, CRL: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	p.now = func() time.Time { return clock }
	check := func(what string, c *x509.Certificate, want error) {
		t.Helper()
		if err := p.verify([]*x509.Certificate{c}); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	check("no CRL for the issuer", good, ErrPeerNoCRL)
	check("another CA's certificate", stranger, ErrPeerUntrusted)

	write(t, filepath.Join(dir, "ca.r0"), ca.crl(t, 1, time.Now().Add(time.Hour), 11))
	write(t, filepath.Join(dir, "other.r0"), other.crl(t, 9, time.Now().Add(time.Hour), 10)) // not ca's: ignored
	check("before the recheck interval", good, ErrPeerNoCRL)
	clock = clock.Add(PeersRecheck)
	check("unrevoked", good, nil)
	check("revoked", revoked, ErrPeerRevoked)

	write(t, filepath.Join(dir, "ca.r1"), ca.crl(t, 2, time.Now().Add(time.Hour), 10, 11))
	clock = clock.Add(PeersRecheck)
	check("revoked by the newer CRL", good, ErrPeerRevoked)

	write(t, filepath.Join(dir, "ca.r2"), ca.crl(t, 3, time.Now().Add(2*time.Minute)))
	clock = clock.Add(PeersRecheck)
	check("unrevoked by the newest CRL", good, nil)
	clock = clock.Add(3 * time.Minute)
	check("the newest CRL expired", good, ErrPeerCRLExpired)

	withoutCRL, err := NewPeers(PeersConfig{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := withoutCRL.verify([]*x509.Certificate{revoked}); err != nil {
		t.Errorf("CRLs disabled, a revoked certificate: %v", err)
	}
	if _, err := NewPeers(PeersConfig{Path: t.TempDir()}); err == nil {
		t.Error("NewPeers on a directory without a CA certificate succeeded")
	}
}
