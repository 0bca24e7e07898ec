package authn_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/streamgate/streamgate/internal/testharness"
)

// goIssuer makes the unit tests' keys and tokens in Go, with the
// semantics of e2e/testdata/jwtgen.py (testharness.TokenSpec): keys rsa1,
// rsa2 (RSA 2048), ec1 (P-256), ed1 (Ed25519), a key's kid is its name.
// The e2e tests keep PyJWT as the independent issuer.
type goIssuer struct {
	keys map[string]crypto.Signer
	// JWKs are the public keys by kid (kty, key material, kid, use, alg).
	JWKs map[string]map[string]any
}

// goIssuerAlgs are each key's default algorithm.
var goIssuerAlgs = map[string]string{"rsa1": "RS256", "rsa2": "RS256", "ec1": "ES256", "ed1": "EdDSA"}

// sharedGoIssuer makes the process's goIssuer once (RSA keys take a
// moment).
var sharedGoIssuer = sync.OnceValues(newGoIssuer)

// sharedIssuer is one goIssuer per test process.
func sharedIssuer(t testing.TB) *goIssuer {
	t.Helper()
	i, err := sharedGoIssuer()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func newGoIssuer() (*goIssuer, error) {
	i := &goIssuer{keys: map[string]crypto.Signer{}, JWKs: map[string]map[string]any{}}
	b64 := base64.RawURLEncoding.EncodeToString
	for name, alg := range goIssuerAlgs {
		var key crypto.Signer
		var jwk map[string]any
		switch {
		case strings.HasPrefix(name, "rsa"):
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			key = k
			jwk = map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
		case strings.HasPrefix(name, "ec"):
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, err
			}
			key = k
			pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
			if err != nil {
				return nil, err
			}
			jwk = map[string]any{"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:])}
		default:
			pub, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			key = k
			jwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(pub)}
		}
		jwk["kid"], jwk["use"], jwk["alg"] = name, "sig", alg
		i.keys[name], i.JWKs[name] = key, jwk
	}
	return i, nil
}

// Sign makes one token per spec (see testharness.TokenSpec and jwtgen.py:
// modes "", none, hs-pubkey, tamper).
func (i *goIssuer) Sign(t testing.TB, specs ...testharness.TokenSpec) []string {
	t.Helper()
	tokens := make([]string, len(specs))
	for n, s := range specs {
		tokens[n] = i.sign(t, s)
	}
	return tokens
}

func (i *goIssuer) sign(t testing.TB, s testharness.TokenSpec) string {
	t.Helper()
	key, ok := i.keys[s.Key]
	if !ok {
		t.Fatalf("no key %q", s.Key)
	}
	alg := s.Alg
	if alg == "" {
		alg = goIssuerAlgs[s.Key]
	}
	kid := s.Key
	if s.KID != nil {
		kid = *s.KID
	}
	claims := s.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	header := map[string]any{"typ": "JWT"}
	if kid != "" {
		header["kid"] = kid
	}
	segment := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	switch s.Mode {
	case "none":
		header["alg"] = "none"
		return segment(header) + "." + segment(claims) + "."
	case "hs-pubkey": // the algorithm-confusion forgery: HMAC keyed with the public key's PEM
		der, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		header["alg"] = "HS256"
		input := segment(header) + "." + segment(claims)
		mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		t.Fatalf("no signing method %q", alg)
	}
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	delete(tok.Header, "kid")
	if kid != "" {
		tok.Header["kid"] = kid
	}
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s with %s: %v", alg, s.Key, err)
	}
	if s.Mode == "tamper" { // a wider permission under the original signature
		parts := strings.Split(signed, ".")
		forged := map[string]any{}
		for k, v := range claims {
			forged[k] = v
		}
		forged["tampered"] = true
		forged["mediamtx_permissions"] = []map[string]string{{"action": "publish", "path": ""}, {"action": "api", "path": ""}}
		return parts[0] + "." + segment(forged) + "." + parts[2]
	}
	return signed
}

// JWKS is a JSON Web Key Set of the named public keys; a JWK passed as a
// map is included as is (for a key under another kid or alg).
func (i *goIssuer) JWKS(t testing.TB, keys ...any) []byte {
	t.Helper()
	return testharness.JWKSOf(t, i.JWKs, keys...)
}
