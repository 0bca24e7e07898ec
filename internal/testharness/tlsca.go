package testharness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"testing"
	"time"
)

// CA is a throw-away certificate authority (ECDSA P-256). Its certificates
// are valid from an hour ago for a day.
type CA struct {
	// Cert and Key are the CA's certificate and signing key.
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// File is the CA certificate (PEM).
	File string
}

// NewCA creates a CA with common name name and writes its certificate to
// dir/name.crt.
func NewCA(t testing.TB, dir, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testharness: CA %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testharness: CA %s: %v", name, err)
	}
	return &CA{Cert: cert, Key: key, File: WriteFile(t, dir, name+".crt", pemText("CERTIFICATE", der))}
}

// IssueServer makes a server certificate for 127.0.0.1 with common name
// name and a random serial, signed by ca and usable as a client certificate
// too (etcd's own gateway needs that); it writes the certificate and its key
// to dir/name.crt and dir/name.key and returns their paths.
func (ca *CA) IssueServer(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	return ca.issue(t, dir, name, true)
}

// IssueClient makes a client certificate signed by ca and writes it as
// IssueServer does.
func (ca *CA) IssueClient(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	return ca.issue(t, dir, name, false)
}

func (ca *CA) issue(t testing.TB, dir, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("testharness: serial: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: ca.Cert.NotBefore, NotAfter: ca.Cert.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatalf("testharness: certificate %s: %v", name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("testharness: key of %s: %v", name, err)
	}
	return WriteFile(t, dir, name+".crt", pemText("CERTIFICATE", der)), WriteFile(t, dir, name+".key", pemText("EC PRIVATE KEY", keyDER))
}

// WriteCRL writes a CRL of ca numbered n, revoking the certificates of
// certFiles, to path (PEM, as openssl ca -gencrl writes it) with ReplaceFile,
// so that a daemon never reads half a CRL.
func (ca *CA) WriteCRL(t testing.TB, path string, n int64, certFiles ...string) {
	t.Helper()
	var revoked []x509.RevocationListEntry
	for _, f := range certFiles {
		revoked = append(revoked, x509.RevocationListEntry{SerialNumber: readCert(t, f).SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(n), ThisUpdate: time.Now().Add(-time.Minute + time.Duration(n)*time.Second),
		NextUpdate: time.Now().Add(time.Hour), RevokedCertificateEntries: revoked}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatalf("testharness: CRL: %v", err)
	}
	ReplaceFile(t, path, pemText("X509 CRL", der))
}

// ClientTLS is the TLS configuration of a client that trusts ca and, when
// certFile is not empty, presents the certificate of certFile and keyFile.
func (ca *CA) ClientTLS(t testing.TB, certFile, keyFile string) *tls.Config {
	t.Helper()
	cfg, err := ClientTLSConfig(ca.File, certFile, keyFile)
	if err != nil {
		t.Fatalf("testharness: %v", err)
	}
	return cfg
}

// ClientTLSConfig is the TLS configuration of a client that trusts the CA
// certificate of caFile (PEM) and, when certFile is not empty, presents the
// certificate of certFile and keyFile.
func ClientTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no certificate in " + caFile)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testharness: key: %v", err)
	}
	return key
}

func readCert(t testing.TB, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("testharness: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("testharness: no PEM block in %s", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("testharness: %s: %v", file, err)
	}
	return cert
}

func pemText(kind string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
}

// CertFingerprint is the hex SHA-256 of the certificate in file (PEM), as
// sourceFingerprint takes it.
func CertFingerprint(t testing.TB, file string) string {
	t.Helper()
	sum := sha256.Sum256(readCert(t, file).Raw)
	return hex.EncodeToString(sum[:])
}
