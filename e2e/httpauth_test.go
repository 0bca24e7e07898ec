package e2e_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// extAuthServer is a MediaMTX-style external auth server (seed 002): it
// decodes every body, counts calls, and allows alice/secret, the token
// "tok-ok", and any user named "slow-*" (after its delay). Mode "hang"
// never answers.
type extAuthServer struct {
	srv   *httptest.Server
	calls atomic.Int64
	hang  atomic.Bool
	delay time.Duration

	mu     sync.Mutex
	bodies []map[string]any
}

func startExtAuth(t *testing.T, delay time.Duration) *extAuthServer {
	t.Helper()
	s := &extAuthServer{delay: delay}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		if s.hang.Load() {
			<-r.Context().Done()
			return
		}
		user, _ := body["user"].(string)
		switch {
		case user == "alice" && body["password"] == "secret", body["token"] == "tok-ok":
			w.WriteHeader(http.StatusOK)
		case strings.HasPrefix(user, "slow-"):
			time.Sleep(s.delay)
			w.WriteHeader(http.StatusOK)
		case user == "" && body["password"] == "":
			w.WriteHeader(http.StatusUnauthorized) // make RTSP clients send credentials
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *extAuthServer) all() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

func httpAuthConfig(url string) string {
	return fmt.Sprintf(`
authRealm: e2e-http
authMethod: [internal, http]
authInternalUsers:
- user: admin
  pass: admin-secret-0
  permissions: [{action: api}, {action: metrics}]
authHTTPAddress: %s
authHTTPTimeout: 1s
authHTTPExclude: [{action: metrics}]
metrics: yes
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
`, url)
}

// The body holds seed 002's nine fields; 2xx allows; a repeat is cached;
// ten slow logins run in parallel; authHTTPExclude is honoured.
func TestHTTPAuthAgainstTheBinary(t *testing.T) {
	t.Parallel()
	ext := startExtAuth(t, 500*time.Millisecond)
	d := testharness.Start(t, httpAuthConfig(ext.srv.URL))
	list := d.URL("api", "/v3/paths/list")

	wantStatus(t, "alice", get(t, list+"?a=1&b=two", basicAuth("alice", "secret")), http.StatusOK)
	bodies := ext.all()
	if len(bodies) != 1 {
		t.Fatalf("%d calls, want 1", len(bodies))
	}
	want := map[string]any{"user": "alice", "password": "secret", "token": "", "ip": "127.0.0.1", "action": "api",
		"path": "", "protocol": "http", "id": "", "query": "a=1&b=two"}
	if !maps.Equal(bodies[0], want) {
		t.Errorf("body\n got %v\nwant %v", bodies[0], want)
	}

	wantStatus(t, "alice again", get(t, list, basicAuth("alice", "secret")), http.StatusOK)
	if n := ext.calls.Load(); n != 1 {
		t.Errorf("a repeat within the cache TTL made a call (%d calls)", n)
	}
	wantStatus(t, "Bearer token", get(t, list, bearer("tok-ok")), http.StatusOK)
	if b := ext.all()[1]; b["token"] != "tok-ok" || b["user"] != "" {
		t.Errorf("Bearer body %v", b)
	}
	wantChallenge(t, "bob (403 from the server)", get(t, list, basicAuth("bob", "nope")), "e2e-http")
	wantChallenge(t, "no credentials", get(t, list), "e2e-http")

	calls := ext.calls.Load()
	wantChallenge(t, "alice on metrics (excluded: not asked)", get(t, d.URL("metrics", "/metrics"), basicAuth("alice", "secret")), "e2e-http")
	wantStatus(t, "admin on metrics", get(t, d.URL("metrics", "/metrics"), basicAuth("admin", "admin-secret-0")), http.StatusOK)
	if n := ext.calls.Load(); n != calls {
		t.Errorf("metrics requests reached the server (%d calls)", n-calls)
	}

	client := newClient(10)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			a, err := try(client, list, basicAuth(fmt.Sprintf("slow-%d", i), "pw"))
			if err != nil || a.status != http.StatusOK {
				t.Errorf("slow-%d: %v %d", i, err, a.status)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took >= 1500*time.Millisecond {
		t.Errorf("10 parallel logins against a 0.5 s auth server took %s, want < 1.5 s", took)
	}
	wantStatus(t, "refresh without jwt", post(t, d.URL("api", "/v3/auth/jwks/refresh"), "", nil, basicAuth("admin", "admin-secret-0")), http.StatusNotFound)
}

// The auth server hanging, then down: its users are refused (503) within
// authHTTPTimeout, while internal users before it in the chain keep
// working at once.
func TestHTTPAuthServerHangingOrDown(t *testing.T) {
	t.Parallel()
	ext := startExtAuth(t, 0)
	d := testharness.Start(t, httpAuthConfig(ext.srv.URL))
	list := d.URL("api", "/v3/paths/list")
	ext.hang.Store(true)
	for _, phase := range []string{"hanging", "down"} {
		if phase == "down" {
			ext.hang.Store(false)
			ext.srv.CloseClientConnections()
			ext.srv.Close()
		}
		var refused answer
		var took time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			start := time.Now()
			refused, _ = try(newClient(1), list, basicAuth("carol-"+phase, "pw"))
			took = time.Since(start)
		}()
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		wantStatus(t, phase+": internal admin meanwhile", get(t, list, basicAuth("admin", "admin-secret-0")), http.StatusOK)
		if d := time.Since(start); d > 300*time.Millisecond {
			t.Errorf("%s: the internal user took %s", phase, d)
		}
		<-done
		wantStatus(t, phase+": carol", refused, http.StatusServiceUnavailable)
		if took > 1500*time.Millisecond {
			t.Errorf("%s: refusal took %s with authHTTPTimeout 1s", phase, took)
		}
	}
}

// Over RTSP (ffmpeg publishing rtsp://alice:secret@…): the server first
// gets the empty credentials RTSP clients start with, answers 401, then
// gets the credentials with protocol rtsp, the path, the query and the
// session id.
func TestHTTPAuthRTSPPayload(t *testing.T) {
	t.Parallel()
	ffmpeg := testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	ext := startExtAuth(t, 0)
	d := testharness.Start(t, httpAuthConfig(ext.srv.URL)+"rtsp: yes\nrtspTransports: [tcp]\npaths:\n  all_others:\n")
	out, err := runFFmpeg(ffmpeg, 15*time.Second, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "rtsp", "-rtsp_transport", "tcp",
		"rtsp://alice:secret@"+d.Addr("rtsp")+"/cam?x=1")
	if err != nil {
		t.Fatalf("ffmpeg publish: %v\n%s", err, out)
	}
	var sawEmpty, sawAlice bool
	for _, b := range ext.all() {
		if b["protocol"] != "rtsp" || b["action"] != "publish" || b["path"] != "cam" || b["query"] != "x=1" || b["ip"] != "127.0.0.1" || b["id"] == "" {
			t.Errorf("RTSP body %v", b)
		}
		sawEmpty = sawEmpty || b["user"] == "" && b["password"] == ""
		sawAlice = sawAlice || b["user"] == "alice" && b["password"] == "secret"
	}
	if !sawEmpty || !sawAlice {
		t.Errorf("bodies %v: want the empty first request and alice's", ext.all())
	}
}
