package authn_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/testharness"
)

const (
	testIssuer   = "https://idp.example/realms/streamgate"
	testAudience = "streamgate"
)

// newJWT builds a started jwt backend on jwksURL; change tunes its config.
func newJWT(t *testing.T, jwksURL string, change ...func(*authn.JWTConfig)) *authn.JWT {
	t.Helper()
	cfg := authn.JWTConfig{JWKS: jwksURL, ClaimKey: "mediamtx_permissions", Issuer: testIssuer, Audience: testAudience, Leeway: 5 * time.Second}
	for _, c := range change {
		c(&cfg)
	}
	b, err := authn.NewJWT(cfg)
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = b.Start(ctx) // a JWKS that is down is a case under test
	return b
}

// chainOf is a pipeline the way the daemon builds one: internal users from
// YAML first (may be empty), then backends, with the decision cache on.
func chainOf(t *testing.T, usersYAML string, limits authn.QuarantineLimits, backends ...authn.Backend) *authn.Pipeline {
	t.Helper()
	c, err := config.Parse("test.yml", []byte(usersYAML+"\nauthCache: {size: 1000, ttl: 1h}\n"), nil)
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(limits)
	v := authn.NewVerifier(1, q, m)
	bs := append([]authn.Backend{authn.NewInternal(authn.UsersOf(c), v)}, backends...)
	return authn.NewPipeline(authn.PipelineConfig{Backends: bs, CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL},
		authn.Deps{Verifier: v, Quarantine: q, Metrics: m})
}

// claims are standard claims valid for a minute, plus extra.
func claims(extra map[string]any) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "0b7c-uuid", "iat": now, "exp": now + 60}
	maps.Copy(c, extra)
	return c
}

func without(c map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		delete(c, k)
	}
	return c
}

var (
	publishCam1 = []map[string]string{{"action": "publish", "path": "cam1"}, {"action": "api", "path": ""}}
	readAll     = []map[string]string{{"action": "read", "path": ""}}
)

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// psJWK is rsa1's public key under another kid, declared for PS256.
func psJWK(iss *goIssuer) map[string]any {
	jwk := maps.Clone(iss.JWKs["rsa1"])
	jwk["kid"], jwk["alg"] = "rsa1-ps", "PS256"
	return jwk
}

// The acceptance matrix, with keys and tokens made in Go (the e2e tests use PyJWT): accepted shapes and
// algorithms, and every refusal the issue lists.
func TestJWTTokens(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "rsa1", "ec1", "ed1", psJWK(iss)))
	b := newJWT(t, srv.URL())
	now := time.Now().Unix()
	keycloak := []string{`{"action":"publish", "path": "cam1"}`, `{"action":"api"}`}
	tests := []struct {
		name    string
		spec    testharness.TokenSpec
		asPass  bool   // the token as the password (RTSP/RTMP/SRT), else as the token
		user    string // granted as
		reason  string // else refused with this reason
		unavail bool   // else unavailable
	}{
		{name: "RS256 array claim", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})}, user: "0b7c-uuid"},
		{name: "ES256 JSON-string claim", spec: testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": jsonString(publishCam1)})}, user: "0b7c-uuid"},
		{name: "RS256 Keycloak multivalued attribute", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": keycloak, "preferred_username": "testuser"})}, user: "testuser"},
		{name: "EdDSA", spec: testharness.TokenSpec{Key: "ed1", Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})}, user: "0b7c-uuid"},
		{name: "PS256", spec: testharness.TokenSpec{Key: "rsa1", Alg: "PS256", KID: testharness.KID("rsa1-ps"), Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})}, user: "0b7c-uuid"},
		{name: "as the password", asPass: true, spec: testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})}, user: "0b7c-uuid"},
		{name: "no kid", spec: testharness.TokenSpec{Key: "ec1", KID: testharness.NoKID, Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})}, user: "0b7c-uuid"},
		{name: "expired", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"exp": now - 60})}, reason: "token expired"},
		{name: "nbf in the future", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"nbf": now + 60})}, reason: "token not valid yet"},
		{name: "no exp", spec: testharness.TokenSpec{Key: "rsa1", Claims: without(claims(nil), "exp")}, reason: "required claim missing"},
		{name: "alg none", spec: testharness.TokenSpec{Key: "rsa1", Mode: "none", Claims: claims(nil)}, reason: "invalid signature or algorithm"},
		{name: "HS256 keyed with the RSA public key", spec: testharness.TokenSpec{Key: "rsa1", Mode: "hs-pubkey", Claims: claims(nil)}, reason: "invalid signature or algorithm"},
		{name: "RS384 with a key declared RS256", spec: testharness.TokenSpec{Key: "rsa1", Alg: "RS384", Claims: claims(nil)}, reason: "no matching key"},
		{name: "wrong iss", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"iss": "https://evil.example"})}, reason: "wrong issuer"},
		{name: "no iss", spec: testharness.TokenSpec{Key: "rsa1", Claims: without(claims(nil), "iss")}, reason: "required claim missing"},
		{name: "wrong aud", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"aud": []string{"other"}})}, reason: "wrong audience"},
		{name: "unknown kid", spec: testharness.TokenSpec{Key: "rsa2", Claims: claims(nil)}, reason: "no matching key"},
		{name: "tampered payload", spec: testharness.TokenSpec{Key: "rsa1", Mode: "tamper", Claims: claims(nil)}, reason: "invalid signature or algorithm"},
		{name: "malformed permissions", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": []map[string]string{{"action": "fly"}}})}, reason: "malformed permissions claim"},
		// Issue 12, defect 15: RFC 7519 NumericDate is a JSON number only.
		{name: "exp as a string", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"exp": fmt.Sprint(now + 60), "mediamtx_permissions": publishCam1})}, reason: "exp, nbf or iat not a NumericDate"},
		{name: "nbf as a string", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"nbf": fmt.Sprint(now - 60), "mediamtx_permissions": publishCam1})}, reason: "exp, nbf or iat not a NumericDate"},
		{name: "iat as a string", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"iat": fmt.Sprint(now), "mediamtx_permissions": publishCam1})}, reason: "exp, nbf or iat not a NumericDate"},
		{name: "exp null", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"exp": nil, "mediamtx_permissions": publishCam1})}, reason: "exp, nbf or iat not a NumericDate"},
		// Issue 12, defect 4 audit: a claim grants what it names; a stream
		// permission without a path member does not mean every path.
		{name: "publish permission without path", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": []map[string]string{{"action": "publish"}}})}, reason: "malformed permissions claim"},
		{name: "read permission with path null (Keycloak string)", spec: testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": []string{`{"action":"read","path":null}`}})}, reason: "malformed permissions claim"},
		{name: "no user", spec: testharness.TokenSpec{Key: "rsa1", Claims: without(claims(nil), "sub")}, reason: "token names no user (preferred_username, sub)"},
	}
	specs := make([]testharness.TokenSpec, len(tests))
	for i, tt := range tests {
		specs[i] = tt.spec
	}
	tokens := iss.Sign(t, specs...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := authn.Credentials{Token: tokens[i]}
			if tt.asPass {
				creds = authn.Credentials{User: "anything", Pass: tokens[i]}
			}
			req := &authn.Request{Action: authz.ActionPublish, Path: "cam1", Protocol: authn.ProtocolRTSP, IP: localhost, Credentials: creds}
			start := time.Now()
			id, err := b.Authenticate(context.Background(), req)
			if d := time.Since(start); d > authn.MaxKeyWait+200*time.Millisecond {
				t.Errorf("took %s", d)
			}
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if id.User != tt.user || id.Backend != "jwt" {
					t.Errorf("identity %q from %q, want %q from jwt", id.User, id.Backend, tt.user)
				}
				if !id.Permissions.Allows(authz.ActionPublish, "cam1") || id.Permissions.Allows(authz.ActionPublish, "cam2") ||
					id.Permissions.Allows(authz.ActionRead, "cam1") || !id.Permissions.Allows(authz.ActionAPI, "") {
					t.Errorf("permissions %v, want publish cam1 and api only", id.Permissions)
				}
				if want := time.Unix(int64(tt.spec.Claims["exp"].(int64)), 0); !id.Expires.Equal(want) {
					t.Errorf("Expires %v, want exp %v", id.Expires, want)
				}
				return
			}
			var ae *authn.Error
			if !errors.As(err, &ae) || ae.Kind != authn.KindDenied || ae.Reason != tt.reason {
				t.Fatalf("got %v, want denied: %s", err, tt.reason)
			}
		})
	}
}

// Permissions go through the pipeline's authz; a token naming no
// permission for the request is forbidden, not passed on.
func TestJWTPipelinePermissions(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{}, newJWT(t, srv.URL()))
	tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": publishCam1})})[0]
	for _, tt := range []struct {
		action authz.Action
		path   string
		want   string
	}{
		{authz.ActionPublish, "cam1", "granted"},
		{authz.ActionPublish, "cam2", "forbidden"},
		{authz.ActionRead, "cam1", "forbidden"},
		{authz.ActionAPI, "", "granted"},
	} {
		_, err := p.Authenticate(context.Background(), authRequest(tt.action, tt.path, "user", tok))
		if got := kindOf(err); got != tt.want {
			t.Errorf("%s %q: %s, want %s", tt.action, tt.path, got, tt.want)
		}
	}
}

// Credentials that are not a JWT, and excluded actions, pass to the next
// backend.
func TestJWTNotApplicable(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	b := newJWT(t, srv.URL(), func(c *authn.JWTConfig) {
		c.Exclude = authz.Permissions{{Action: authz.ActionMetrics, Path: mustPath(t, "")}}
	})
	tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(nil)})[0]
	for name, req := range map[string]*authn.Request{
		"plain password":      authRequest(authz.ActionRead, "cam", "alice", "secret"),
		"URL token":           {Action: authz.ActionRead, Credentials: authn.Credentials{Token: "exp=1~acl=/*~hmac=00"}},
		"two dots":            authRequest(authz.ActionRead, "cam", "alice", "a.b.c"),
		"no credentials":      authRequest(authz.ActionRead, "cam", "", ""),
		"excluded metrics":    {Action: authz.ActionMetrics, Credentials: authn.Credentials{Token: tok}},
		"JWT as the user":     authRequest(authz.ActionRead, "cam", tok, ""),
		"token with bad head": {Action: authz.ActionRead, Credentials: authn.Credentials{Token: "W10" + tok[strings.Index(tok, "."):]}},
	} {
		if _, err := b.Authenticate(context.Background(), req); !errors.Is(err, authn.ErrNotApplicable) {
			t.Errorf("%s: %v, want ErrNotApplicable", name, err)
		}
	}
}

func mustPath(t *testing.T, p string) authz.PathMatcher {
	t.Helper()
	m, err := authz.CompilePath(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Rotation: a token under a kid the JWKS gained is accepted on its first
// use; with the JWKS server down the keys already fetched keep working,
// and a refresh reports the failure.
func TestJWTRotationAndOutage(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "rsa1"))
	b := newJWT(t, srv.URL())
	toks := iss.Sign(t,
		testharness.TokenSpec{Key: "rsa1", Claims: claims(map[string]any{"mediamtx_permissions": readAll})},
		testharness.TokenSpec{Key: "rsa2", Claims: claims(map[string]any{"mediamtx_permissions": readAll})},
		testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": readAll})})
	sign := func(key string) string { return toks[map[string]int{"rsa1": 0, "rsa2": 1, "ec1": 2}[key]] }
	check := func(what, tok, want string) {
		t.Helper()
		_, err := b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Path: "x", Credentials: authn.Credentials{Token: tok}})
		if got := kindOf(err); got != want {
			t.Errorf("%s: %s (%v), want %s", what, got, err, want)
		}
	}
	check("rsa1", sign("rsa1"), "granted")
	hits := srv.Hits()
	srv.Set(iss.JWKS(t, "rsa1", "rsa2"))
	check("rsa2 after the JWKS gained it", sign("rsa2"), "granted")
	if srv.Hits() != hits+1 {
		t.Errorf("JWKS fetched %d times for the new kid, want once", srv.Hits()-hits)
	}

	srv.Down()
	check("rsa1 with the JWKS down", sign("rsa1"), "granted")
	check("rsa2 with the JWKS down", sign("rsa2"), "granted")
	start := time.Now()
	check("unknown kid with the JWKS down", sign("ec1"), "denied")
	if d := time.Since(start); d > authn.MaxKeyWait+200*time.Millisecond {
		t.Errorf("an unknown kid with the JWKS down took %s", d)
	}
	if err := b.Refresh(context.Background()); err == nil {
		t.Error("Refresh with the JWKS down: no error")
	}
	check("rsa1 after a failed refresh", sign("rsa1"), "granted")

	srv.Set(iss.JWKS(t, "ec1")) // rsa1 and rsa2 revoked
	srv.Up()
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	check("ec1 after the refresh", sign("ec1"), "granted")
	check("rsa1 once revoked", sign("rsa1"), "denied")
}

// A flood of tokens naming random kids costs the JWKS server one fetch per
// UnknownKIDInterval, and no request waits more than MaxKeyWait.
func TestJWTUnknownKIDFlood(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "rsa1"))
	b := newJWT(t, srv.URL())
	tok := iss.Sign(t, testharness.TokenSpec{Key: "rsa1", Claims: claims(nil)})[0]
	rest := tok[strings.Index(tok, "."):]
	before := srv.Hits()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for i := range 200 {
		wg.Go(func() {
			head := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"alg":"RS256","kid":"random-%d"}`, i))
			start := time.Now()
			_, err := b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Credentials: authn.Credentials{Token: head + rest}})
			d := time.Since(start)
			mu.Lock()
			slowest = max(slowest, d)
			mu.Unlock()
			if authn.KindOf(err) != authn.KindDenied {
				t.Errorf("random kid %d: %v, want denied", i, err)
			}
		})
	}
	wg.Wait()
	if n := srv.Hits() - before; n > 1 {
		t.Errorf("200 random kids made %d JWKS fetches, want at most 1", n)
	}
	if slowest > authn.MaxKeyWait+300*time.Millisecond {
		t.Errorf("the slowest request took %s", slowest)
	}
}

// Down at start: refused as unavailable (503, not cached), within
// MaxKeyWait; once the JWKS is back the backend's retries bring the keys.
func TestJWTJWKSDownAtStart(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	srv.Down()
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{}, newJWT(t, srv.URL()))
	tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": readAll})})[0]
	req := func() *authn.Request { return authRequest(authz.ActionRead, "cam", "u", tok) }
	start := time.Now()
	if _, err := p.Authenticate(context.Background(), req()); authn.KindOf(err) != authn.KindUnavailable {
		t.Fatalf("JWKS down at start: %v, want unavailable", err)
	}
	if d := time.Since(start); d > authn.MaxKeyWait+200*time.Millisecond {
		t.Errorf("took %s", d)
	}
	srv.Up()
	// The backend retries on its own (backing off from 1 s), and an
	// unavailable answer was not cached.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := p.Authenticate(context.Background(), req())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the JWKS came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The JWKS document is capped: a larger one fails the fetch and the last
// good keys stay.
func TestJWTJWKSSizeCap(t *testing.T) {
	iss := sharedIssuer(t)
	good := iss.JWKS(t, "ec1")
	srv := testharness.StartJWKSServer(t, good)
	b := newJWT(t, srv.URL(), func(c *authn.JWTConfig) { c.MaxJWKSSize = 64 << 10 })
	huge := append([]byte(`{"padding":"`+strings.Repeat("x", 70<<10)+`",`), good[1:]...)
	srv.Set(huge)
	err := b.Refresh(context.Background())
	if !errors.Is(err, authn.ErrBodyTooLarge) {
		t.Fatalf("Refresh of a 70 KiB JWKS capped at 64 KiB: %v, want ErrBodyTooLarge", err)
	}
	tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(nil)})[0]
	if _, err := b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Credentials: authn.Credentials{Token: tok}}); err != nil {
		t.Errorf("the last good keys were dropped: %v", err)
	}
}

// authJWTJWKSFingerprint pins the JWKS server's certificate.
func TestJWTJWKSFingerprint(t *testing.T) {
	iss := sharedIssuer(t)
	jwks := iss.JWKS(t, "ec1")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(jwks) }))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	pin := strings.ToUpper(hex.EncodeToString(sum[:]))
	var colons []string
	for i := 0; i < len(pin); i += 2 {
		colons = append(colons, pin[i:i+2])
	}
	tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(nil)})[0]
	for _, tt := range []struct {
		name, pin string
		ok        bool
	}{
		{"right pin, openssl form", strings.Join(colons, ":"), true},
		{"wrong pin", strings.Repeat("ab", 32), false},
		{"no pin, self-signed", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newJWT(t, srv.URL, func(c *authn.JWTConfig) { c.Fingerprint = tt.pin })
			err := b.Refresh(context.Background())
			if (err == nil) != tt.ok {
				t.Fatalf("Refresh: %v, want ok=%v", err, tt.ok)
			}
			_, err = b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Credentials: authn.Credentials{Token: tok}})
			if (err == nil) != tt.ok {
				t.Errorf("Authenticate: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// A cached decision never outlives the token: the entry ends at exp.
func TestJWTCacheEndsAtExp(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	b := newJWT(t, srv.URL(), func(c *authn.JWTConfig) { c.Leeway = 0 })
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{}, b)
	// exp is in whole seconds: a token that is about to expire once
	// signed (a busy machine) is signed again with more time.
	var exp int64
	var tok string
	for life := 2 * time.Second; ; life *= 2 {
		exp = time.Now().Add(life).Unix()
		tok = iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"exp": exp, "mediamtx_permissions": readAll})})[0]
		if time.Until(time.Unix(exp, 0)) > time.Second || life > time.Minute {
			break
		}
	}
	req := func() *authn.Request { return authRequest(authz.ActionRead, "cam", "u", tok) }
	if _, err := p.Authenticate(context.Background(), req()); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	// Polled until the token is refused: never before exp, and not an hour
	// later (the cache TTL).
	end := time.Unix(exp, 0)
	for {
		_, err := p.Authenticate(context.Background(), req())
		now := time.Now()
		if err != nil {
			if authn.KindOf(err) != authn.KindDenied {
				t.Fatalf("after exp: %v, want denied", err)
			}
			if now.Before(end) {
				t.Fatalf("denied %s before exp: %v", end.Sub(now), err)
			}
			return
		}
		if now.After(end.Add(5 * time.Second)) {
			t.Fatal("still granted 5 s after exp (a cache TTL of an hour)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Bad tokens sent with the arbitrary user name every client uses
// (rtsp://user:JWT@…) do not quarantine that name for everyone.
func TestJWTFailuresDoNotQuarantineTheSharedName(t *testing.T) {
	iss := sharedIssuer(t)
	srv := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{PairLimit: 3, IPLimit: 1000, Period: time.Minute, MaxTracked: 100},
		newJWT(t, srv.URL()))
	toks := iss.Sign(t,
		testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"exp": time.Now().Unix() - 600})},
		testharness.TokenSpec{Key: "ec1", Claims: claims(map[string]any{"mediamtx_permissions": readAll})})
	for i := range 5 {
		req := authRequest(authz.ActionRead, "cam", "user", toks[0])
		req.Path = fmt.Sprintf("cam%d", i) // not a cache hit
		if _, err := p.Authenticate(context.Background(), req); authn.KindOf(err) != authn.KindDenied {
			t.Fatalf("expired token: %v", err)
		}
	}
	if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "user", toks[1])); err != nil {
		t.Fatalf("a good token after others' bad ones under the same user name: %v", err)
	}
}

// Configuration errors are found without touching the network.
func TestNewJWTConfigErrors(t *testing.T) {
	for name, cfg := range map[string]authn.JWTConfig{
		"no URL":          {ClaimKey: "k"},
		"ftp URL":         {JWKS: "ftp://x/jwks", ClaimKey: "k"},
		"no claim key":    {JWKS: "http://127.0.0.1:1/jwks"},
		"leeway too long": {JWKS: "http://127.0.0.1:1/jwks", ClaimKey: "k", Leeway: 2 * time.Minute},
		"bad fingerprint": {JWKS: "https://127.0.0.1:1/jwks", ClaimKey: "k", Fingerprint: "00:11"},
	} {
		if _, err := authn.NewJWT(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
