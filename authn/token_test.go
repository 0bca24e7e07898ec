package authn_test

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/testharness"
)

var (
	keyA = []byte("abrakadabra")
	keyB = []byte("sim-sala-bim")
)

func writeSecret(t testing.TB, dir, name, content string) string {
	t.Helper()
	f := filepath.Join(dir, name)
	// Write then rename, as a rotation would.
	tmp := f + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f); err != nil {
		t.Fatal(err)
	}
	return f
}

type tokenEnv struct {
	b   *authn.Token
	reg *prometheus.Registry
}

// oneSecretConfig is a token configuration with one secret, s, read from
// file (re-read every refresh while enabled), that verifies every token.
func oneSecretConfig(file string, enabled bool, refresh time.Duration) authn.TokenConfig {
	return authn.TokenConfig{
		Enabled: enabled, RefreshInterval: refresh,
		Secrets:       []authn.TokenSecretConfig{{ID: "s", File: file}},
		Verifications: []authn.TokenVerificationConfig{{Name: "all", Enabled: true, SecretIDs: []string{"s"}}},
	}
}

func newTokenBackend(t testing.TB, cfg authn.TokenConfig) tokenEnv {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Metrics = authn.NewMetrics(reg)
	b, err := authn.NewToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(func() { _ = b.Close() })
	return tokenEnv{b, reg}
}

func tokenReq(path, token, ip string) *authn.Request {
	return &authn.Request{Action: authz.ActionRead, Path: path, Protocol: authn.ProtocolHLS,
		IP: netip.MustParseAddr(ip), Credentials: authn.Credentials{Token: token}}
}

func TestTokenBackend(t *testing.T) {
	dir := t.TempDir()
	fa := writeSecret(t, dir, "a.txt", string(keyA)+"\n")
	fb := writeSecret(t, dir, "b.hex", hex.EncodeToString(keyB)+" \n")
	env := newTokenBackend(t, authn.TokenConfig{
		Secrets: []authn.TokenSecretConfig{{ID: "sec-a", File: fa}, {ID: "sec-b", File: fb, Encoding: "hex"}},
		Verifications: []authn.TokenVerificationConfig{
			{Name: "live", Enabled: true, Paths: []string{"~live/.*"}, SecretIDs: []string{"sec-a", "sec-b"},
				ExcludedIPs: authz.Networks{netip.MustParsePrefix("10.0.0.0/8")}},
			{Name: "open", Enabled: false, Paths: []string{"~open/.*"}, SecretIDs: []string{"sec-a"}},
			{Name: "default", Enabled: true, Paths: []string{"default"}, SecretIDs: []string{"sec-b"}},
		},
	})
	now := time.Now().Unix()
	tok := func(key []byte, mod func(*authn.EdgeAuthToken)) string {
		e := authn.EdgeAuthToken{End: now + 60, ACL: []string{"/live/*"}, ID: "s1"}
		if mod != nil {
			mod(&e)
		}
		return authn.SignEdgeAuth(key, e)
	}
	valid := tok(keyA, nil)
	tampered := valid[:len(valid)-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(valid, "0")]
	tests := []struct {
		name, path, token, ip string
		want                  error // nil: granted
	}{
		{"valid", "live/cam1", valid, "192.0.2.1", nil},
		{"valid second secret (hex)", "live/cam1", tok(keyB, nil), "192.0.2.1", nil},
		{"tampered hmac", "live/cam1", tampered, "192.0.2.1", errForbidden},
		{"tampered field", "live/cam1", strings.Replace(valid, "id=s1", "id=s2", 1), "192.0.2.1", errForbidden},
		{"unknown secret", "live/cam1", tok([]byte("other"), nil), "192.0.2.1", errForbidden},
		{"expired", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.End = now - 1 }), "192.0.2.1", errForbidden},
		{"st in the future", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.Start = now + 30 }), "192.0.2.1", errForbidden},
		{"st in the past", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.Start = now - 30 }), "192.0.2.1", nil},
		{"path outside acl", "live/cam9", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/live/cam1"} }), "192.0.2.1", errForbidden},
		{"directory acl covers the stream", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/live/cam1/*"} }), "192.0.2.1", nil},
		{"directory acl of a sibling", "live/cam10", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/live/cam1/*"} }), "192.0.2.1", errForbidden},
		{"acl list", "live/cam2", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/live/cam1", "/live/cam2"} }), "192.0.2.1", nil},
		{"acl list miss", "live/cam3", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/live/cam1", "/live/cam2"} }), "192.0.2.1", errForbidden},
		{"ip matches", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.IP = "192.0.2.1" }), "192.0.2.1", nil},
		{"other client ip", "live/cam1", tok(keyA, func(e *authn.EdgeAuthToken) { e.IP = "192.0.2.1" }), "192.0.2.2", errForbidden},
		{"excluded network without token", "live/cam1", "", "10.1.2.3", nil},
		{"no token", "live/cam1", "", "192.0.2.1", authn.ErrNotApplicable},
		{"jwt-looking token", "live/cam1", "eyJhbGciOi.x.y", "192.0.2.1", authn.ErrNotApplicable},
		{"malformed", "live/cam1", "exp=abc~acl=/*~hmac=00", "192.0.2.1", errForbidden},
		{"disabled verification", "open/cam1", valid, "192.0.2.1", authn.ErrNotApplicable},
		{"default account needs sec-b", "vod/x", tok(keyA, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/*"} }), "192.0.2.1", errForbidden},
		{"default account", "vod/x", tok(keyB, func(e *authn.EdgeAuthToken) { e.ACL = []string{"/*"} }), "192.0.2.1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := env.b.Authenticate(context.Background(), tokenReq(tt.path, tt.token, tt.ip))
			switch {
			case tt.want == nil:
				if err != nil {
					t.Fatalf("err = %v, want a grant", err)
				}
				if !id.Permissions.Allows(authz.ActionRead, tt.path) || id.Permissions.Allows(authz.ActionPublish, tt.path) ||
					id.Permissions.Allows(authz.ActionRead, tt.path+"x") {
					t.Errorf("permissions = %v, want read on %s only", id.Permissions, tt.path)
				}
				if tt.token != "" && (id.User != "token:s1" || id.Expires.IsZero()) {
					t.Errorf("identity = %+v", id)
				}
			case tt.want == authn.ErrNotApplicable:
				if !errors.Is(err, authn.ErrNotApplicable) {
					t.Fatalf("err = %v, want ErrNotApplicable", err)
				}
			default:
				if authn.KindOf(err) != authn.KindForbidden || !strings.Contains(err.Error(), authn.ReasonToken) {
					t.Fatalf("err = %v, want forbidden (token)", err)
				}
			}
		})
	}
	if n := tokenMetric(t, env.reg, "sec-b", "ok"); n < 1 {
		t.Errorf("streamgate_token_verifications_total{secret_id=sec-b,result=ok} = %v", n)
	}
}

// errForbidden marks a refusal in the table.
var errForbidden = errors.New("forbidden")

// tokenMetric reads streamgate_token_verifications_total{secret_id,result}.
func tokenMetric(t *testing.T, reg *prometheus.Registry, secret, result string) float64 {
	t.Helper()
	return testharness.GatheredMetric(t, reg, "streamgate_token_verifications_total",
		map[string]string{"secret_id": secret, "result": result})
}

func TestTokenSecretRotation(t *testing.T) {
	dir := t.TempDir()
	f := writeSecret(t, dir, "s.txt", "old-secret\n")
	failures := &logWatch{msg: "token secret not re-read", seen: make(chan struct{}, 1)}
	cfg := oneSecretConfig(f, true, 200*time.Millisecond)
	cfg.Logger = slog.New(failures)
	env := newTokenBackend(t, cfg)
	sign := func(key string) string {
		return authn.SignEdgeAuth([]byte(key), authn.EdgeAuthToken{End: time.Now().Add(time.Minute).Unix(), ACL: []string{"/*"}})
	}
	check := func(key string) error {
		_, err := env.b.Authenticate(context.Background(), tokenReq("cam", sign(key), "192.0.2.1"))
		return err
	}
	if err := check("old-secret"); err != nil {
		t.Fatalf("old secret before rotation: %v", err)
	}
	writeSecret(t, dir, "s.txt", "new-secret")
	replaced := time.Now()
	for check("new-secret") != nil {
		if time.Since(replaced) > time.Second {
			t.Fatal("new secret not accepted within refreshInterval")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := check("old-secret"); authn.KindOf(err) != authn.KindForbidden {
		t.Fatalf("old secret after rotation: %v, want forbidden", err)
	}
	// An unreadable file keeps the last loaded secret.
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	// Checked once a re-read has failed (the negative after its event).
	select {
	case <-failures.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("no failed re-read logged after the file vanished")
	}
	if err := check("new-secret"); err != nil {
		t.Fatalf("after the file vanished: %v", err)
	}
}

// logWatch is a slog.Handler that signals each record whose message
// starts with msg.
type logWatch struct {
	msg  string
	seen chan struct{}
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, w.msg) {
		select {
		case w.seen <- struct{}{}:
		default:
		}
	}
	return nil
}
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }

func TestTokenPollingDisabledKeepsVerifying(t *testing.T) {
	dir := t.TempDir()
	f := writeSecret(t, dir, "s.txt", "first")
	env := newTokenBackend(t, oneSecretConfig(f, false, 50*time.Millisecond))
	// A polling backend on the same file and interval, started alongside,
	// takes the new secret: the disabled one is checked after that, when it
	// would have re-read the file too.
	polling := newTokenBackend(t, oneSecretConfig(f, true, 50*time.Millisecond))
	writeSecret(t, dir, "s.txt", "second")
	sign := func(key string) string {
		return authn.SignEdgeAuth([]byte(key), authn.EdgeAuthToken{End: time.Now().Add(time.Minute).Unix(), ACL: []string{"/*"}})
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := polling.b.Authenticate(context.Background(), tokenReq("cam", sign("second"), "192.0.2.1")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the polling backend did not take the new secret")
		}
	}
	if _, err := env.b.Authenticate(context.Background(), tokenReq("cam", sign("first"), "192.0.2.1")); err != nil {
		t.Fatalf("enabled: no must keep the loaded secret: %v", err)
	}
	if _, err := env.b.Authenticate(context.Background(), tokenReq("cam", sign("second"), "192.0.2.1")); err == nil {
		t.Fatal("enabled: no re-read the secret file")
	}
}

func TestReadTokenSecretEncodings(t *testing.T) {
	dir := t.TempDir()
	raw := writeSecret(t, dir, "raw", "abc \t\r\n")
	hx := writeSecret(t, dir, "hex", "616263\n")
	bad := writeSecret(t, dir, "bad", "zz")
	for _, c := range []struct{ file, enc string }{{raw, "raw"}, {raw, ""}, {hx, "hex"}} {
		b, err := authn.ReadTokenSecret(c.file, c.enc)
		if err != nil || string(b) != "abc" {
			t.Errorf("ReadTokenSecret(%s, %q) = %q, %v", filepath.Base(c.file), c.enc, b, err)
		}
	}
	if _, err := authn.ReadTokenSecret(bad, "hex"); err == nil {
		t.Error("bad hex accepted")
	}
	// The same file as raw is another key: a raw-signed token does not verify as hex.
	b, _ := authn.ReadTokenSecret(hx, "raw")
	if string(b) != "616263" {
		t.Errorf("raw read of a hex file = %q", b)
	}
}

func TestEdgeAuthACL(t *testing.T) {
	tok := &authn.EdgeAuthToken{ACL: []string{"/live/*/index.m3u8", "/vod/a*b"}}
	for path, want := range map[string]bool{
		"/live/cam/index.m3u8": true, "/live/a/b/index.m3u8": true, "/live/index.m3u8": false,
		"/vod/ab": true, "/vod/axxb": true, "/vod/abc": false, "/other": false,
	} {
		if got := tok.ACLAllows(path); got != want {
			t.Errorf("ACLAllows(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestTokenFromAkamaiEdgeAuth(t *testing.T) {
	mod := testharness.EdgeAuthModule(t)
	key := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32}
	dir := t.TempDir()
	f := writeSecret(t, dir, "k.hex", hex.EncodeToString(key)+"\n")
	env := newTokenBackend(t, authn.TokenConfig{
		Secrets:       []authn.TokenSecretConfig{{ID: "k", File: f, Encoding: "hex"}},
		Verifications: []authn.TokenVerificationConfig{{Name: "all", Enabled: true, SecretIDs: []string{"k"}}},
	})
	gen := func(opts string, acl string) string {
		t.Helper()
		script := `const EdgeAuth = require(process.argv[1]);
const ea = new EdgeAuth(Object.assign({key: process.argv[2]}, JSON.parse(process.argv[3])));
process.stdout.write(ea.generateACLToken(process.argv[4]));`
		out, err := exec.Command("node", "-e", script, mod, hex.EncodeToString(key), opts, acl).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		return string(out)
	}
	now := time.Now().Unix()
	tests := []struct {
		name, opts, acl, path, ip string
		ok                        bool
	}{
		{"window", `{"windowSeconds": 60}`, "/live/*", "live/cam1", "192.0.2.1", true},
		{"all fields", `{"windowSeconds": 60, "startTime": "now", "ip": "192.0.2.1", "sessionId": "abc", "payload": "hello"}`, "/live/cam1!/live/cam2", "live/cam2", "192.0.2.1", true},
		{"other ip", `{"windowSeconds": 60, "ip": "192.0.2.1"}`, "/*", "live/cam1", "192.0.2.9", false},
		{"outside acl", `{"windowSeconds": 60}`, "/vod/*", "live/cam1", "192.0.2.1", false},
		{"expired", `{"startTime": ` + strconv.FormatInt(now-120, 10) + `, "endTime": ` + strconv.FormatInt(now-60, 10) + `}`, "/*", "live/cam1", "192.0.2.1", false},
		{"st in the future", `{"startTime": ` + strconv.FormatInt(now+60, 10) + `, "windowSeconds": 60}`, "/*", "live/cam1", "192.0.2.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := gen(tt.opts, tt.acl)
			_, err := env.b.Authenticate(context.Background(), tokenReq(tt.path, tok, tt.ip))
			if tt.ok && err != nil {
				t.Fatalf("token %s: %v", tok, err)
			}
			if !tt.ok && authn.KindOf(err) != authn.KindForbidden {
				t.Fatalf("token %s: err = %v, want forbidden", tok, err)
			}
		})
	}
}

func FuzzParseEdgeAuthToken(f *testing.F) {
	f.Add("exp=1700000000~acl=/*~hmac=" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := authn.ParseEdgeAuthToken(s)
		if err != nil {
			return
		}
		if tok.End <= 0 || len(tok.ACL) == 0 || len(tok.MAC) != 32 || !strings.HasPrefix(s, tok.Signed+"~hmac=") {
			t.Fatalf("ParseEdgeAuthToken(%q) = %+v", s, tok)
		}
		_ = tok.ACLAllows("/" + s)
		// Re-signing the parsed fields gives a token that parses to the same fields.
		again := authn.SignEdgeAuth([]byte("k"), *tok)
		tok2, err := authn.ParseEdgeAuthToken(again)
		if err != nil {
			t.Fatalf("re-signed %q: %v", again, err)
		}
		if tok2.End != tok.End || tok2.Start != tok.Start || tok2.IP != tok.IP || tok2.ID != tok.ID || tok2.Data != tok.Data ||
			strings.Join(tok2.ACL, "!") != strings.Join(tok.ACL, "!") {
			t.Fatalf("round trip %q → %q", s, again)
		}
	})
}

// A grant in the decision cache does not outlive the secret that signed the
// token: once the file holds a new secret, the same token is refused
// through the pipeline at the next request, not at the cache's TTL.
func TestTokenRotationDropsCachedGrants(t *testing.T) {
	dir := t.TempDir()
	f := writeSecret(t, dir, "s.txt", "old-secret\n")
	env := newTokenBackend(t, oneSecretConfig(f, true, 100*time.Millisecond))
	m := authn.NewMetrics(nil)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{env.b}, CacheSize: 100, CacheTTL: time.Hour},
		authn.NewTestDeps(m))
	old := authn.SignEdgeAuth([]byte("old-secret"), authn.EdgeAuthToken{End: time.Now().Add(time.Hour).Unix(), ACL: []string{"/*"}})
	if _, err := p.Authenticate(context.Background(), tokenReq("cam", old, "192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	writeSecret(t, dir, "s.txt", "new-secret")
	replaced := time.Now()
	for {
		_, err := p.Authenticate(context.Background(), tokenReq("cam", old, "192.0.2.1"))
		if authn.KindOf(err) == authn.KindForbidden {
			break
		}
		if time.Since(replaced) > 2*time.Second {
			t.Fatalf("the old secret's cached grant still holds 2 s after the rotation: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
