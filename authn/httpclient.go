package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ParseFingerprint parses a SHA-256 certificate fingerprint: 64 hex digits,
// optionally separated by colons (as openssl prints them), any case.
func ParseFingerprint(s string) ([sha256.Size]byte, error) {
	var fp [sha256.Size]byte
	h := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(h) != 2*sha256.Size {
		return fp, fmt.Errorf("must be a SHA-256 fingerprint (64 hex digits, colons allowed), got %d digits", len(h))
	}
	if _, err := hex.Decode(fp[:], []byte(h)); err != nil {
		return fp, errors.New("must be a SHA-256 fingerprint (64 hex digits, colons allowed)")
	}
	return fp, nil
}

// pinnedTLS returns TLS settings for an HTTPS peer. With a fingerprint the
// peer's leaf certificate must hash (SHA-256 over its DER) to it, and the
// CA chain is not checked: the pin is the trust (self-signed certificates
// work, as in MediaMTX). Without one the system roots verify the peer.
func pinnedTLS(fingerprint string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if fingerprint == "" {
		return cfg, nil
	}
	want, err := ParseFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	cfg.InsecureSkipVerify = true // replaced by VerifyConnection: the pin
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("authn: pinned peer sent no certificate")
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return errors.New("authn: peer certificate does not match the pinned fingerprint")
		}
		return nil
	}
	return cfg, nil
}

// newPooledClient is the one HTTP client a backend keeps for a
// configuration: keep-alive connections pooled per host (MediaMTX builds a
// transport per call and pays a TCP and TLS handshake every time), no
// redirects (credentials are never re-sent elsewhere), and every call
// bounded by timeout. maxBody > 0 caps response bodies.
func newPooledClient(timeout time.Duration, fingerprint string, maxBody int64, followRedirects bool) (*http.Client, error) {
	tlsCfg, err := pinnedTLS(fingerprint)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	var rt http.RoundTripper = tr
	if maxBody > 0 {
		rt = &limitTransport{base: tr, max: maxBody}
	}
	c := &http.Client{Transport: rt, Timeout: timeout}
	if !followRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c, nil
}

// ErrBodyTooLarge is returned while reading a response larger than allowed.
var ErrBodyTooLarge = errors.New("authn: response body too large")

// limitTransport caps every response body: reading past max fails.
type limitTransport struct {
	base *http.Transport
	max  int64
}

func (t *limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d", ErrBodyTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (t *limitTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
