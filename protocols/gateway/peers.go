package gateway

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PeersRecheck is how often, at most, Peers looks for changes of its
// certificates and CRLs (at a handshake: no handshake, no look).
const PeersRecheck = time.Second

// Errors a client certificate is refused with (the TLS alert is
// bad_certificate; the reason is logged and counted).
var (
	// ErrPeerUntrusted: no chain to a CA of the directory.
	ErrPeerUntrusted = errors.New("gateway: client certificate not signed by a trusted CA")
	// ErrPeerRevoked: a CRL of the directory revokes a certificate of the chain.
	ErrPeerRevoked = errors.New("gateway: client certificate revoked")
	// ErrPeerNoCRL: CRLs are enabled and the issuer has no valid CRL.
	ErrPeerNoCRL = errors.New("gateway: no valid CRL for the client certificate's issuer")
	// ErrPeerCRLExpired: the issuer's newest CRL is past its next update (or not yet valid).
	ErrPeerCRLExpired = errors.New("gateway: the CRL of the client certificate's issuer has expired")
)

// PeersConfig says where the client CAs and CRLs are.
type PeersConfig struct {
	// Path is a PEM file or a directory whose every file is read: CA
	// certificates ("CERTIFICATE" blocks) and, with CRL, CRLs ("X509 CRL"
	// blocks, PEM or DER) — the Media Gateway's lookup_hash_directory.
	Path string
	// CRL checks every certificate of a client's chain against the newest
	// valid CRL of its issuer; an issuer without one fails the handshake
	// (the Media Gateway's crl_enabled, OpenSSL's CRL check).
	CRL        bool
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Peers verifies client certificates against CAs and CRLs that it re-reads
// when their files change, without a restart.
type Peers struct {
	cfg     PeersConfig
	metrics *peerMetrics
	now     func() time.Time

	mu      sync.Mutex
	checked time.Time
	stamp   string
	state   *peerState
}

// peerState is one reading of the files.
type peerState struct {
	roots *x509.CertPool
	// crls are, by the DER of the CA certificate that signed them, the
	// newest CRL of that CA (signature checked at load).
	crls map[string]*x509.RevocationList
}

// NewPeers reads the CAs (and CRLs) of cfg.Path; it fails when there is no
// CA certificate there.
func NewPeers(cfg PeersConfig) (*Peers, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Peers{cfg: cfg, metrics: newPeerMetrics(cfg.Registerer), now: time.Now}
	stamp, err := p.readStamp()
	if err != nil {
		return nil, fmt.Errorf("gateway: client CAs %s: %w", cfg.Path, err)
	}
	st, err := p.load()
	if err != nil {
		return nil, err
	}
	p.stamp, p.state, p.checked = stamp, st, p.now()
	return p, nil
}

// Apply makes cfg require a client certificate and verify it through p on
// every handshake (resumed ones included).
func (p *Peers) Apply(cfg *tls.Config) {
	cfg.ClientAuth = tls.RequireAnyClientCert
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := p.verify(cs.PeerCertificates); err != nil {
			p.metrics.refused.WithLabelValues(refusalReason(err)).Inc()
			p.cfg.Logger.Info("client certificate refused", "reason", err.Error())
			return err
		}
		return nil
	}
}

func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrPeerRevoked):
		return "revoked"
	case errors.Is(err, ErrPeerNoCRL):
		return "no_crl"
	case errors.Is(err, ErrPeerCRLExpired):
		return "crl_expired"
	}
	return "untrusted"
}

// verify builds the chains of a client's certificates to the current CAs
// and, with CRLs, accepts one whose every certificate below the root its
// issuer's CRL does not revoke.
func (p *Peers) verify(certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return ErrPeerUntrusted
	}
	st := p.current()
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	now := p.now()
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: st.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPeerUntrusted, err)
	}
	if !p.cfg.CRL {
		return nil
	}
	var last error
	for _, chain := range chains {
		if last = st.checkChain(chain, now); last == nil {
			return nil
		}
	}
	return last
}

func (st *peerState) checkChain(chain []*x509.Certificate, now time.Time) error {
	for i := 0; i+1 < len(chain); i++ {
		crl := st.crls[string(chain[i+1].Raw)]
		switch {
		case crl == nil:
			return ErrPeerNoCRL
		case now.Before(crl.ThisUpdate), !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate):
			return ErrPeerCRLExpired
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(chain[i].SerialNumber) == 0 {
				return ErrPeerRevoked
			}
		}
	}
	return nil
}

// current is the state to verify with, re-read first when a file changed
// (looked at once per PeersRecheck at most). A reading that fails keeps
// the previous state.
func (p *Peers) current() *peerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); now.Sub(p.checked) >= PeersRecheck {
		p.checked = now
		stamp, err := p.readStamp()
		if err == nil && stamp != p.stamp {
			st, err := p.load()
			if err != nil {
				p.metrics.reloadErrors.Inc()
				p.cfg.Logger.Error("client CAs not reloaded", "path", p.cfg.Path, "error", err)
			} else {
				p.state = st
				p.metrics.reloads.Inc()
				p.cfg.Logger.Info("client CAs reloaded", "path", p.cfg.Path, "crls", len(st.crls))
			}
			p.stamp = stamp // a broken reading is not retried until the files change again
		}
	}
	return p.state
}

// files are the files of cfg.Path: the file itself, or a directory's
// regular files (sorted, as os.ReadDir gives them).
func (p *Peers) files() ([]os.FileInfo, []string, error) {
	st, err := os.Stat(p.cfg.Path)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		return []os.FileInfo{st}, []string{p.cfg.Path}, nil
	}
	entries, err := os.ReadDir(p.cfg.Path)
	if err != nil {
		return nil, nil, err
	}
	var infos []os.FileInfo
	var names []string
	for _, e := range entries {
		name := filepath.Join(p.cfg.Path, e.Name())
		info, err := os.Stat(name) // follows the symlinks c_rehash makes
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		infos, names = append(infos, info), append(names, name)
	}
	return infos, names, nil
}

// readStamp sums up the names, sizes and modification times of the files.
func (p *Peers) readStamp() (string, error) {
	infos, names, err := p.files()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, info := range infos {
		b.WriteString(names[i])
		b.WriteByte(0)
		b.WriteString(strconv.FormatInt(info.Size(), 10))
		b.WriteByte(0)
		b.WriteString(strconv.FormatInt(info.ModTime().UnixNano(), 10))
		b.WriteByte(0)
	}
	return b.String(), nil
}

// load reads every file: CA certificates, and CRLs whose signature a CA of
// the files checks; of several CRLs of one CA the newest counts (the
// highest CRL number, then the latest thisUpdate).
func (p *Peers) load() (*peerState, error) {
	_, names, err := p.files()
	if err != nil {
		return nil, fmt.Errorf("gateway: client CAs %s: %w", p.cfg.Path, err)
	}
	var cas []*x509.Certificate
	var crls []*x509.RevocationList
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		c, r := parsePEMOrDER(data)
		cas, crls = append(cas, c...), append(crls, r...)
	}
	if len(cas) == 0 {
		return nil, fmt.Errorf("gateway: client CAs %s: no certificate", p.cfg.Path)
	}
	st := &peerState{roots: x509.NewCertPool(), crls: map[string]*x509.RevocationList{}}
	for _, ca := range cas {
		st.roots.AddCert(ca)
	}
	if !p.cfg.CRL {
		return st, nil
	}
	for _, crl := range crls {
		for _, ca := range cas {
			if !bytes.Equal(crl.RawIssuer, ca.RawSubject) || crl.CheckSignatureFrom(ca) != nil {
				continue
			}
			if old := st.crls[string(ca.Raw)]; old == nil || newer(crl, old) {
				st.crls[string(ca.Raw)] = crl
			}
		}
	}
	return st, nil
}

func newer(a, b *x509.RevocationList) bool {
	if a.Number != nil && b.Number != nil && a.Number.Cmp(b.Number) != 0 {
		return a.Number.Cmp(b.Number) > 0
	}
	return a.ThisUpdate.After(b.ThisUpdate)
}

// parsePEMOrDER reads the certificates and CRLs of a PEM file, or one DER
// certificate or CRL.
func parsePEMOrDER(data []byte) (certs []*x509.Certificate, crls []*x509.RevocationList) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				certs = append(certs, c)
			}
		case "X509 CRL":
			if r, err := x509.ParseRevocationList(b.Bytes); err == nil {
				crls = append(crls, r)
			}
		}
	}
	if len(certs) == 0 && len(crls) == 0 {
		if c, err := x509.ParseCertificate(data); err == nil {
			certs = append(certs, c)
		} else if r, err := x509.ParseRevocationList(data); err == nil {
			crls = append(crls, r)
		}
	}
	return certs, crls
}
