package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Without a CONFIG argument and no ./streamgate.yml, ./mediamtx.yml is
// read (MediaMTX's search list), and the start log says which file.
func TestMediamtxYmlInWorkingDirectory(t *testing.T) {
	t.Parallel()
	d := startInWorkingDirectory(t, "mediamtx.yml", "from-mediamtx-yml")
	loaded := d.LogEntriesWhere("configuration loaded")
	if len(loaded) != 1 {
		t.Fatalf("%d \"configuration loaded\" lines, want 1:\n%s", len(loaded), d.Logs())
	}
	file, _ := loaded[0]["file"].(string)
	want, _ := filepath.EvalSymlinks(filepath.Join(d.Dir, "mediamtx.yml"))
	if got, _ := filepath.EvalSymlinks(file); got != want || !filepath.IsAbs(file) {
		t.Errorf("configuration loaded from %q, want %q", file, want)
	}
}

// startInWorkingDirectory runs the daemon without a CONFIG argument, its
// configuration in file in its working directory, and checks that the file
// was read: the API challenges with its realm and lets its admin in.
func startInWorkingDirectory(t *testing.T, file, realm string) *testharness.Daemon {
	t.Helper()
	d := testharness.Start(t, fmt.Sprintf(`
authRealm: %s
authInternalUsers:
- {user: admin, pass: admin-secret-wd, permissions: [{action: api}]}
`, realm), testharness.ConfigFileName(file), testharness.NoConfigArg())
	api := d.URL("api", "/v3/paths/list")
	wantChallenge(t, "paths/list without credentials", get(t, api), realm)
	wantStatus(t, "paths/list as admin", get(t, api, basicAuth("admin", "admin-secret-wd")), http.StatusOK)
	return d
}

// The embedded default is named at start with the files that were looked for.
func TestEmbeddedDefaultLogged(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, "", testharness.NoConfigArg(),
		testharness.WithEnv("MTX_APIADDRESS=127.0.0.1:0", "MTX_RTSP=no", "MTX_RTMP=no", "MTX_HLS=no", "MTX_WEBRTC=no", "MTX_SRT=no"))
	lines := d.LogEntriesWhere("no configuration file found: using the embedded default")
	if len(lines) != 1 {
		t.Fatalf("no line naming the embedded default:\n%s", d.Logs())
	}
	b, _ := json.Marshal(lines[0]["searched"])
	for _, name := range []string{"/streamgate.yml", "/mediamtx.yml", "/usr/local/etc/mediamtx.yml", "/etc/mediamtx/mediamtx.yml"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("searched %s, want %s in it", b, name)
		}
	}
}

// An MTX_ variable that names no key is a warning in the start log, and
// the daemon runs; an override of a default list item changes that item
// only (MTX_AUTHINTERNALUSERS_1_USER on a file without authInternalUsers:
// user 1 keeps its localhost-only api permission).
func TestEnvWarningAndDefaultsOverride(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, "authRealm: envtest\n", testharness.WithEnv(
		"MTX_NOSUCHKEY=1",
		"MTX_AUTHINTERNALUSERS_1_USER=ops", "MTX_AUTHINTERNALUSERS_1_PASS=ops-secret-e2e"))
	var warned bool
	for _, e := range d.LogEntriesWhere("configuration warning") {
		w, _ := e["warning"].(string)
		warned = warned || strings.Contains(w, "MTX_NOSUCHKEY") && e["level"] == "WARN"
	}
	if !warned {
		t.Errorf("no warning naming MTX_NOSUCHKEY:\n%s", d.Logs())
	}
	wantChallenge(t, "api without credentials (user 1 is no longer any)", get(t, d.URL("api", "/v3/paths/list")), "envtest")
	wantStatus(t, "api as ops (default user 1's api permission)", get(t, d.URL("api", "/v3/paths/list"), basicAuth("ops", "ops-secret-e2e")), http.StatusOK)
}

// logDestinations [stdout, file]: every line goes to both (the harness
// reads stdout to find the listeners; the file gets the same lines).
func TestLogFileDestination(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "streamgate.log")
	d := testharness.Start(t, "logDestinations: [stdout, file]\nlogFile: "+logFile+"\n")
	var data []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(string(data), `"msg":"ready"`) {
		data, _ = os.ReadFile(logFile)
		time.Sleep(20 * time.Millisecond)
	}
	for _, msg := range []string{`"msg":"streamgate starting"`, `"msg":"listener started"`, `"msg":"ready"`} {
		if !strings.Contains(string(data), msg) {
			t.Errorf("log file lacks %s:\n%s", msg, data)
		}
	}
	if !d.WaitLog(`"msg":"ready"`, 0) {
		t.Error("stdout lacks the ready line")
	}
}
