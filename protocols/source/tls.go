package source

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"strings"
)

var errFingerprint = errors.New("source: the server's certificate does not match sourceFingerprint")

// tlsConfig is the TLS configuration of a source: the system's roots, or,
// with a fingerprint (hex SHA-256 of the leaf certificate, as MediaMTX's
// sourceFingerprint), that certificate only, whoever signed it.
func tlsConfig(fingerprint string) *tls.Config {
	if fingerprint == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	want := strings.ToLower(strings.ReplaceAll(fingerprint, ":", ""))
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errFingerprint
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(want)) != 1 {
				return errFingerprint
			}
			return nil
		},
	}
}
