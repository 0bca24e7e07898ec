package authn_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// authServer is a MediaMTX-style external auth server: it decodes each
// body, counts calls and answers with decide's status after delay.
type authServer struct {
	*httptest.Server
	calls  atomic.Int64
	conns  atomic.Int64 // TCP connections accepted
	delay  time.Duration
	decide func(body map[string]any) int

	mu     sync.Mutex
	bodies []map[string]any
}

func startAuthServer(t *testing.T, delay time.Duration, decide func(map[string]any) int) *authServer {
	t.Helper()
	s := &authServer{delay: delay, decide: decide}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *authServer) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	var body map[string]any
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, body)
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return
	}
	w.WriteHeader(s.decide(body))
}

func (s *authServer) last() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) == 0 {
		return nil
	}
	return s.bodies[len(s.bodies)-1]
}

// allowAlice allows user alice with password secret, and anonymous reads
// of "public".
func allowAlice(b map[string]any) int {
	switch {
	case b["user"] == "alice" && b["password"] == "secret":
		return http.StatusOK
	case b["user"] == "" && b["action"] == "read" && b["path"] == "public":
		return http.StatusNoContent
	case b["user"] == "boom":
		return http.StatusBadGateway
	case b["user"] == "moved":
		return http.StatusFound
	case b["user"] == "" && b["password"] == "":
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

func newHTTP(t *testing.T, url string, change ...func(*authn.HTTPConfig)) *authn.HTTP {
	t.Helper()
	cfg := authn.HTTPConfig{Address: url, Timeout: time.Second}
	for _, c := range change {
		c(&cfg)
	}
	b, err := authn.NewHTTP(cfg)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// The body is seed 002's, field for field.
func TestHTTPAuthPayload(t *testing.T) {
	srv := startAuthServer(t, 0, allowAlice)
	b := newHTTP(t, srv.URL)
	req := &authn.Request{Action: authz.ActionPublish, Path: "cam/1", Protocol: authn.ProtocolRTSP,
		IP: netip.MustParseAddr("192.0.2.7"), Credentials: authn.Credentials{User: "alice", Pass: "secret", Token: "tok"},
		Query: "a=1&b=2", ID: "sess-42"}
	if _, err := b.Authenticate(context.Background(), req); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := map[string]any{"user": "alice", "password": "secret", "token": "tok", "ip": "192.0.2.7", "action": "publish",
		"path": "cam/1", "protocol": "rtsp", "id": "sess-42", "query": "a=1&b=2"}
	got := srv.last()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", got, want)
	}
}

// Answers: 2xx allows the request, and only it; 5xx and transport failures
// are unavailable; other statuses deny (ask, without credentials).
func TestHTTPAuthAnswers(t *testing.T) {
	srv := startAuthServer(t, 0, allowAlice)
	b := newHTTP(t, srv.URL)
	for _, tt := range []struct {
		name, user, pass, path string
		want                   string
	}{
		{"200", "alice", "secret", "cam", "granted"},
		{"204 anonymous", "", "", "public", "granted"},
		{"403 wrong password", "alice", "wrong", "cam", "denied"},
		{"401 without credentials", "", "", "cam", "ask"},
		{"302 is not followed", "moved", "x", "cam", "denied"},
		{"502 is unavailable", "boom", "x", "cam", "unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, err := b.Authenticate(context.Background(), authRequest(authz.ActionRead, tt.path, tt.user, tt.pass))
			if tt.want == "unavailable" {
				var ae *authn.Error
				if err == nil || errors.As(err, &ae) {
					t.Fatalf("got %v, want a plain error (unavailable)", err)
				}
				return
			}
			if got := kindOf(err); got != tt.want {
				t.Fatalf("got %s (%v), want %s", got, err, tt.want)
			}
			if err == nil {
				if !id.Permissions.Allows(authz.ActionRead, tt.path) || id.Permissions.Allows(authz.ActionRead, tt.path+"x") ||
					id.Permissions.Allows(authz.ActionPublish, tt.path) {
					t.Errorf("permissions %v, want read %q only", id.Permissions, tt.path)
				}
			}
		})
	}
	// A path that looks like a regular expression is still one path.
	id, err := b.Authenticate(context.Background(), authRequest(authz.ActionRead, "~.*", "alice", "secret"))
	if err != nil || !id.Permissions.Allows(authz.ActionRead, "~.*") || id.Permissions.Allows(authz.ActionRead, "cam") {
		t.Errorf("path ~.*: %v %v", id, err)
	}
}

// Ten slow logins run in parallel: 0.5 s each, under 1.5 s together.
func TestHTTPAuthParallel(t *testing.T) {
	srv := startAuthServer(t, 500*time.Millisecond, func(map[string]any) int { return http.StatusOK })
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{}, newHTTP(t, srv.URL))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionPublish, "cam", fmt.Sprintf("user%d", i), "pw")); err != nil {
				t.Errorf("user%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d >= 1500*time.Millisecond {
		t.Errorf("10 parallel logins took %s, want < 1.5 s", d)
	}
	if n := srv.calls.Load(); n != 10 {
		t.Errorf("%d calls, want 10", n)
	}
}

// A repeat within the cache TTL makes no call; the pool keeps one
// connection for sequential calls.
func TestHTTPAuthCacheAndPool(t *testing.T) {
	srv := startAuthServer(t, 0, allowAlice)
	p := chainOf(t, "authInternalUsers: []", authn.QuarantineLimits{}, newHTTP(t, srv.URL))
	for range 3 {
		if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "alice", "secret")); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "alice", "wrong")); authn.KindOf(err) != authn.KindDenied {
			t.Fatal(err)
		}
	}
	if n := srv.calls.Load(); n != 2 {
		t.Errorf("%d calls for 3 × (grant, refusal), want 2", n)
	}
	for i := range 20 {
		_, _ = p.Authenticate(context.Background(), authRequest(authz.ActionRead, fmt.Sprintf("cam%d", i), "alice", "secret"))
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("22 sequential calls opened %d connections, want 1 (keep-alive)", n)
	}
}

// The server down or hanging: refused as unavailable within the timeout,
// while internal users before it in the chain keep working.
func TestHTTPAuthDownOrHanging(t *testing.T) {
	hanging := startAuthServer(t, time.Hour, allowAlice)
	down := startAuthServer(t, 0, allowAlice)
	down.Close()
	users := "authInternalUsers:\n- user: admin\n  pass: adminpw\n  permissions: [{action: read}]\n"
	for name, url := range map[string]string{"hanging": hanging.URL, "down": down.URL} {
		t.Run(name, func(t *testing.T) {
			p := chainOf(t, users, authn.QuarantineLimits{}, newHTTP(t, url, func(c *authn.HTTPConfig) { c.Timeout = 300 * time.Millisecond }))
			start := time.Now()
			_, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "alice", "secret"))
			if authn.KindOf(err) != authn.KindUnavailable {
				t.Errorf("alice: %v, want unavailable", err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("refusal took %s with a 300 ms timeout", d)
			}
			if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "admin", "adminpw")); err != nil {
				t.Errorf("internal admin: %v", err)
			}
		})
	}
}

// authHTTPExclude: excluded permissions are not asked about.
func TestHTTPAuthExclude(t *testing.T) {
	srv := startAuthServer(t, 0, allowAlice)
	b := newHTTP(t, srv.URL, func(c *authn.HTTPConfig) {
		c.Exclude = authz.Permissions{{Action: authz.ActionAPI, Path: mustPath(t, "")}, {Action: authz.ActionRead, Path: mustPath(t, "~private/.*")}}
	})
	for _, tt := range []struct {
		action authz.Action
		path   string
		asked  bool
	}{
		{authz.ActionAPI, "", false},
		{authz.ActionRead, "private/x", false},
		{authz.ActionRead, "privatex", true},
		{authz.ActionPublish, "private/x", true},
	} {
		before := srv.calls.Load()
		_, err := b.Authenticate(context.Background(), authRequest(tt.action, tt.path, "alice", "secret"))
		asked := srv.calls.Load() > before
		if asked != tt.asked || (!asked && !errors.Is(err, authn.ErrNotApplicable)) {
			t.Errorf("%s %q: asked=%v err=%v, want asked=%v", tt.action, tt.path, asked, err, tt.asked)
		}
	}
}

// authHTTPFingerprint pins the auth server's certificate.
func TestHTTPAuthFingerprint(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	for _, tt := range []struct {
		name, pin string
		ok        bool
	}{
		{"right pin", hex.EncodeToString(sum[:]), true},
		{"wrong pin", hex.EncodeToString(make([]byte, 32)), false},
		{"no pin, self-signed", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newHTTP(t, srv.URL, func(c *authn.HTTPConfig) { c.Fingerprint = tt.pin })
			_, err := b.Authenticate(context.Background(), authRequest(authz.ActionRead, "cam", "u", "p"))
			if (err == nil) != tt.ok {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestHTTPAuthConfigErrors(t *testing.T) {
	for name, cfg := range map[string]authn.HTTPConfig{
		"no URL":          {},
		"relative":        {Address: "/auth"},
		"bad fingerprint": {Address: "https://127.0.0.1:1/auth", Fingerprint: "zz"},
	} {
		if _, err := authn.NewHTTP(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
