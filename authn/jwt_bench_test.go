package authn_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// benchKeys are Go-made keys and their JWKS (benchmarks need no Python;
// the acceptance tests use PyJWT's tokens).
type benchKeys struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks []byte
}

func newBenchKeys(b *testing.B) *benchKeys {
	b.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	enc := func(i *big.Int, n int) string {
		return base64.RawURLEncoding.EncodeToString(i.FillBytes(make([]byte, n)))
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r", "use": "sig", "n": base64.RawURLEncoding.EncodeToString(r.N.Bytes()), "e": "AQAB"},
		{"kty": "EC", "kid": "e", "use": "sig", "crv": "P-256", "x": enc(e.X, 32), "y": enc(e.Y, 32)},
	}})
	return &benchKeys{rsa: r, ec: e, jwks: jwks}
}

func (k *benchKeys) token(b *testing.B, alg string) string {
	b.Helper()
	m, key, kid := jwt.SigningMethod(jwt.SigningMethodRS256), crypto.Signer(k.rsa), "r"
	if alg == "ES256" {
		m, key, kid = jwt.SigningMethodES256, k.ec, "e"
	}
	t := jwt.NewWithClaims(m, jwt.MapClaims{"sub": "bench", "exp": time.Now().Add(time.Hour).Unix(),
		"mediamtx_permissions": []map[string]string{{"action": "read", "path": ""}}})
	t.Header["kid"] = kid
	s, err := t.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// servedJWT is a started jwt backend (claim key mediamtx_permissions, no
// issuer or audience) whose JWKS, jwks, an HTTP server serves.
func servedJWT(tb testing.TB, jwks []byte) *authn.JWT {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(jwks) }))
	tb.Cleanup(srv.Close)
	j, err := authn.NewJWT(authn.JWTConfig{JWKS: srv.URL, ClaimKey: "mediamtx_permissions"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = j.Close() })
	if err := j.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return j
}

// One verification (signature, claims, permissions), no cache.
func BenchmarkJWTVerify(b *testing.B) {
	k := newBenchKeys(b)
	j := servedJWT(b, k.jwks)
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			req := &authn.Request{Action: authz.ActionRead, Path: "cam", Credentials: authn.Credentials{Token: k.token(b, alg)}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Authenticate(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A repeat of a JWT login: a decision-cache hit.
func BenchmarkJWTPipelineCacheHit(b *testing.B) {
	k := newBenchKeys(b)
	m := authn.NewMetrics(nil)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{servedJWT(b, k.jwks)}, CacheSize: 1000, CacheTTL: time.Hour},
		authn.NewTestDeps(m))
	req := authRequest(authz.ActionRead, "cam", "user", k.token(b, "RS256"))
	if _, err := p.Authenticate(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Authenticate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// Logins/s through the http backend against a local auth server that
// answers at once, every login a call (no cache), callers in parallel.
func BenchmarkHTTPBackendLogins(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&map[string]any{})
	}))
	b.Cleanup(srv.Close)
	h, err := authn.NewHTTP(authn.HTTPConfig{Address: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close() })
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := authRequest(authz.ActionRead, "cam", fmt.Sprintf("user%d", n.Add(1)), "pw")
			if _, err := h.Authenticate(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
