// Package e2e_test runs the streamgate binary (built by internal/testharness)
// and checks the user-facing contract over real sockets.
package e2e_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// wantListeners fails the test unless d started a listener for each of
// names ("srt", "webrtc", …).
func wantListeners(t testing.TB, d *testharness.Daemon, names ...string) {
	t.Helper()
	for _, name := range names {
		if d.Addr(name) == "" {
			t.Fatalf("no %s listener started:\n%s", name, d.Logs())
		}
	}
}

// answer is what a client saw.
type answer struct {
	status int
	header http.Header
	body   string
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func basicAuth(user, pass string) reqOpt {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func header(name, value string) reqOpt {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func bearer(v string) reqOpt { return header("Authorization", "Bearer "+v) }

// newClient is a keep-alive client that never follows redirects.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

var defaultClient = newClient(4)

// apiItems returns the items of the API list at path (/v3/paths/list…),
// asked as user; it fails the test unless the answer is 200 and JSON whose
// itemCount counts its items.
func apiItems[T any](t testing.TB, d *testharness.Daemon, path, user, pass string) []T {
	t.Helper()
	a := get(t, d.URL("api", path), basicAuth(user, pass))
	if a.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	var list struct {
		ItemCount int `json:"itemCount"`
		Items     []T `json:"items"`
	}
	if err := json.Unmarshal([]byte(a.body), &list); err != nil {
		t.Fatalf("%s: %v: %s", path, err, a.body)
	}
	if list.ItemCount != len(list.Items) {
		t.Errorf("%s: itemCount %d, %d items", path, list.ItemCount, len(list.Items))
	}
	return list.Items
}

// get sends GET url with opts.
func get(t testing.TB, url string, opts ...reqOpt) answer {
	t.Helper()
	return do(t, defaultClient, url, opts...)
}

func do(t testing.TB, c *http.Client, url string, opts ...reqOpt) answer {
	t.Helper()
	a, err := try(c, url, opts...)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return a
}

// try is do for goroutines other than the test's.
func try(c *http.Client, url string, opts ...reqOpt) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	return send(c, req, opts...)
}

// send applies opts to req, sends it with c and reads the whole answer.
func send(c *http.Client, req *http.Request, opts ...reqOpt) (answer, error) {
	for _, o := range opts {
		o(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(body)}, nil
}

// wantStatus checks a status, printing the answer when it differs.
func wantStatus(t testing.TB, what string, a answer, want int) {
	t.Helper()
	if a.status != want {
		t.Errorf("%s: status %d, want %d (headers %v, body %q)", what, a.status, want, a.header, a.body)
	}
}

// wantChallenge checks a 401 with the realm's Basic challenge and an empty body.
func wantChallenge(t testing.TB, what string, a answer, realm string) {
	t.Helper()
	wantStatus(t, what, a, http.StatusUnauthorized)
	if got, want := a.header.Get("WWW-Authenticate"), `Basic realm="`+realm+`"`; got != want {
		t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, want)
	}
	if a.body != "" {
		t.Errorf("%s: body %q, want empty", what, a.body)
	}
}

// sameAnswer checks that two answers cannot be told apart: status, body and
// every header but Date.
func sameAnswer(t testing.TB, what string, a, b answer) {
	t.Helper()
	if a.status != b.status || a.body != b.body {
		t.Errorf("%s: answers differ: %d %q vs %d %q", what, a.status, a.body, b.status, b.body)
	}
	keys := func(h http.Header) []string {
		var out []string
		for k, vs := range h {
			if k != "Date" {
				out = append(out, k+": "+strings.Join(vs, ", "))
			}
		}
		slices.Sort(out)
		return out
	}
	if ka, kb := keys(a.header), keys(b.header); !slices.Equal(ka, kb) {
		t.Errorf("%s: headers differ:\n%v\n%v", what, ka, kb)
	}
}

// sha256Form is the MediaMTX "sha256:" form of v, computed here rather
// than by the binary under test.
func sha256Form(v string) string {
	d := sha256.Sum256([]byte(v))
	return "sha256:" + base64.StdEncoding.EncodeToString(d[:])
}

// hashArgon2 asks `streamgate hash` for the MediaMTX argon2 form of pass.
func hashArgon2(t testing.TB, pass string, args ...string) string {
	t.Helper()
	out, errOut, code := testharness.RunCLI(t, pass+"\n", append([]string{"hash", "--format", "mediamtx"}, args...)...)
	if code != 0 {
		t.Fatalf("streamgate hash: exit %d: %s", code, errOut)
	}
	h := strings.TrimSpace(out)
	if !strings.HasPrefix(h, "argon2:$argon2") {
		t.Fatalf("streamgate hash printed %q", h)
	}
	return h
}

// assertNotLogged checks that no secret appears anywhere in the daemon's output.
func assertNotLogged(t testing.TB, d *testharness.Daemon, secrets ...string) {
	t.Helper()
	logs := d.Logs()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains the secret %q", s)
		}
	}
}

var barriers atomic.Int64

// logBarrier makes sure every decision logged so far has been read: it
// sends one more (refused) login under a fresh name and waits for its line,
// which the daemon writes after all earlier ones.
func logBarrier(t testing.TB, d *testharness.Daemon) {
	t.Helper()
	name := fmt.Sprintf("log-barrier-%d", barriers.Add(1))
	get(t, d.URL("api", "/v3/paths/list"), basicAuth(name, "barrier"))
	if !d.WaitLog(`"user":"`+name+`"`, 5*time.Second) {
		t.Fatalf("the decision for %s was not logged", name)
	}
}
