package testharness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// JWTIssuer makes keys and tokens with e2e/testdata/jwtgen.py, an
// implementation independent of the verifier's (Debian python3-jwt and
// python3-cryptography). Keys: rsa1, rsa2 (RSA 2048), ec1 (P-256), ed1
// (Ed25519); a key's kid is its name.
type JWTIssuer struct {
	dir    string
	script string
	// JWKs are the public keys by kid, as jwtgen.py printed them.
	JWKs map[string]map[string]any
}

// TokenSpec is one token to sign (see jwtgen.py).
type TokenSpec struct {
	Key    string         `json:"key"`
	Alg    string         `json:"alg,omitempty"`
	KID    *string        `json:"kid,omitempty"` // nil: the key's name; "" or another name: that
	Claims map[string]any `json:"claims"`
	Mode   string         `json:"mode,omitempty"` // "", none, hs-pubkey, tamper
}

// NoKID is a TokenSpec.KID for a token without a kid header.
var NoKID = ptr("")

func ptr(s string) *string { return &s }

// KID is a TokenSpec.KID naming kid.
func KID(kid string) *string { return ptr(kid) }

// NewJWTIssuer generates fresh keys in a temporary directory. It fails the
// test under CI=true, or skips it, when python3 or its jwt and
// cryptography modules are missing.
func NewJWTIssuer(t testing.TB) *JWTIssuer {
	t.Helper()
	requireJWTModules(t)
	i, err := newJWTIssuer(t.TempDir())
	if err != nil {
		t.Fatalf("testharness: %v", err)
	}
	return i
}

func requireJWTModules(t testing.TB) {
	t.Helper()
	RequirePython(t, []string{"jwt", "cryptography"}, "python3-jwt", "python3-cryptography")
}

func newJWTIssuer(dir string) (*JWTIssuer, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	i := &JWTIssuer{dir: dir, script: filepath.Join(root, "e2e", "testdata", "jwtgen.py")}
	out, err := i.exec("keys", nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &i.JWKs); err != nil {
		return nil, fmt.Errorf("jwtgen.py keys: %v: %s", err, out)
	}
	return i, nil
}

// sharedJWTIssuer makes the process's JWTIssuer once, in a directory the
// OS cleans, like the binary's.
var sharedJWTIssuer = perProcess(func() (*JWTIssuer, error) {
	dir, err := os.MkdirTemp("", "streamgate-jwt-")
	if err != nil {
		return nil, err
	}
	return newJWTIssuer(dir)
})

// SharedJWTIssuer is one JWTIssuer per test process (generating RSA keys
// in Python takes about a second).
func SharedJWTIssuer(t testing.TB) *JWTIssuer {
	t.Helper()
	requireJWTModules(t)
	return sharedJWTIssuer(t)
}

func (i *JWTIssuer) run(t testing.TB, cmd string, stdin []byte) []byte {
	t.Helper()
	out, err := i.exec(cmd, stdin)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (i *JWTIssuer) exec(cmd string, stdin []byte) ([]byte, error) {
	c := exec.Command(Python, i.script, cmd, i.dir)
	c.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("jwtgen.py %s: %v\n%s", cmd, err, stderr.String())
	}
	return out, nil
}

// Sign makes one token per spec, in one run of the script.
func (i *JWTIssuer) Sign(t testing.TB, specs ...TokenSpec) []string {
	t.Helper()
	type wire struct {
		Key    string         `json:"key"`
		Alg    string         `json:"alg,omitempty"`
		KID    any            `json:"kid"`
		Claims map[string]any `json:"claims"`
		Mode   string         `json:"mode,omitempty"`
	}
	ws := make([]wire, len(specs))
	for n, s := range specs {
		var kid any = s.Key
		if s.KID != nil {
			kid = *s.KID
			if *s.KID == "" {
				kid = nil
			}
		}
		if s.Claims == nil {
			s.Claims = map[string]any{}
		}
		ws[n] = wire{Key: s.Key, Alg: s.Alg, KID: kid, Claims: s.Claims, Mode: s.Mode}
	}
	in, err := json.Marshal(ws)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	if err := json.Unmarshal(i.run(t, "sign", in), &tokens); err != nil || len(tokens) != len(specs) {
		t.Fatalf("jwtgen.py sign: %v (%d tokens for %d specs)", err, len(tokens), len(specs))
	}
	return tokens
}

// JWKS is a JSON Web Key Set of the named public keys; a JWK passed as a
// map is included as is (for a key under another kid or alg).
func (i *JWTIssuer) JWKS(t testing.TB, keys ...any) []byte {
	t.Helper()
	return JWKSOf(t, i.JWKs, keys...)
}

// JWKSOf is a JSON Web Key Set of the keys named in jwks (by kid); a JWK
// passed as a map is included as is. Any issuer of the tests (jwtgen.py,
// the Go one of the authn unit tests) builds its sets with it.
func JWKSOf(t testing.TB, jwks map[string]map[string]any, keys ...any) []byte {
	t.Helper()
	set := struct {
		Keys []map[string]any `json:"keys"`
	}{Keys: []map[string]any{}}
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			jwk, ok := jwks[k]
			if !ok {
				t.Fatalf("no key %q", k)
			}
			set.Keys = append(set.Keys, jwk)
		case map[string]any:
			set.Keys = append(set.Keys, k)
		default:
			t.Fatalf("JWKS: %T is neither a key name nor a JWK", k)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// JWKSServer serves a JWKS on 127.0.0.1 that a test can change, take down
// and bring back on the same address, counting the requests it answers.
type JWKSServer struct {
	t    testing.TB
	addr string
	srv  *httptest.Server

	mu   sync.Mutex
	body []byte
	hits atomic.Int64
}

// StartJWKSServer serves body at /jwks.json until the test ends.
func StartJWKSServer(t testing.TB, body []byte) *JWKSServer {
	t.Helper()
	s := &JWKSServer{t: t, body: body}
	s.start("127.0.0.1:0")
	s.addr = s.srv.Listener.Addr().String()
	t.Cleanup(s.Down)
	return s
}

func (s *JWKSServer) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("JWKS server: %v", err)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body := s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}}
	s.srv.Start()
}

// URL is the JWKS's URL.
func (s *JWKSServer) URL() string { return "http://" + s.addr + "/jwks.json" }

// Set changes the JWKS served.
func (s *JWKSServer) Set(body []byte) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

// Hits is how many requests the server answered.
func (s *JWKSServer) Hits() int64 { return s.hits.Load() }

// Down stops the server (connections are refused); Up brings it back.
func (s *JWKSServer) Down() {
	if s.srv != nil {
		s.srv.CloseClientConnections()
		s.srv.Close()
		s.srv = nil
	}
}

// Up serves again on the same address.
func (s *JWKSServer) Up() {
	if s.srv == nil {
		s.start(s.addr)
	}
}
