package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		out, errOut, code := testharness.RunCLI(t, "", arg)
		if code != 0 || out != "streamgate e2e-test\n" {
			t.Errorf("streamgate %s: exit %d, stdout %q, stderr %q; want exit 0, %q", arg, code, out, errOut, "streamgate e2e-test\n")
		}
	}
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	root, err := testharness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(root, "mediamtx.yml.example")
	out, errOut, code := testharness.RunCLI(t, "", "check", example)
	if code != 0 {
		t.Errorf("streamgate check mediamtx.yml.example: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "ok") {
		t.Errorf("streamgate check printed %q", out)
	}

	bad := testharness.TempFile(t, "bad.yml", "authRealm: r\nauthQuarantine:\n  period: 0s\n")
	_, errOut, code = testharness.RunCLI(t, "", "check", bad)
	if code != 1 {
		t.Errorf("streamgate check on a bad file: exit %d, want 1", code)
	}
	if !regexp.MustCompile(`bad\.yml:\d+: authQuarantine\.period: `).MatchString(errOut) {
		t.Errorf("streamgate check on a bad file printed %q, want file:line: authQuarantine.period: …", errOut)
	}
}

func TestHashCommand(t *testing.T) {
	t.Parallel()
	out, errOut, code := testharness.RunCLI(t, "sha-pass\n", "hash", "--algo", "sha256", "--format", "mediamtx")
	if code != 0 || strings.TrimSpace(out) != sha256Form("sha-pass") {
		t.Errorf("hash --algo sha256: exit %d, %q (stderr %q), want %q", code, out, errOut, sha256Form("sha-pass"))
	}
	out, errOut, code = testharness.RunCLI(t, "argon-pass\n", "hash", "--memory", "64", "--time", "1", "--threads", "1")
	if code != 0 || !strings.HasPrefix(out, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash (PHC): exit %d, %q (stderr %q)", code, out, errOut)
	}
	if got := hashArgon2(t, "x", "--algo", "argon2i", "--memory", "64", "--time", "1", "--threads", "1"); !strings.HasPrefix(got, "argon2:$argon2i$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash --algo argon2i --format mediamtx: %q", got)
	}
	if _, _, code := testharness.RunCLI(t, "", "hash"); code == 0 {
		t.Errorf("hash without a password on stdin: exit 0")
	}
}

// Without a CONFIG argument, in a directory with neither streamgate.yml nor
// mediamtx.yml, the embedded default runs: the API answers anonymous
// requests from 127.0.0.1 (its default "any" permission). The harness
// points every listener at 127.0.0.1:0 and turns the media listeners off
// through MTX_* variables. SIGTERM ends it with exit code 0.
func TestEmbeddedDefaultConfig(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, "", testharness.NoConfigArg(),
		testharness.WithEnv("MTX_APIADDRESS=127.0.0.1:0", "MTX_RTSP=no", "MTX_RTMP=no", "MTX_HLS=no", "MTX_WEBRTC=no", "MTX_SRT=no"))
	a := get(t, d.URL("api", "/v3/paths/list"))
	wantStatus(t, "anonymous /v3/paths/list on the default config", a, http.StatusOK)
	if !strings.Contains(a.body, `"items"`) {
		t.Errorf("paths/list body %q", a.body)
	}
	var source string
	for _, e := range d.LogEntriesWhere("streamgate starting") {
		source, _ = e["config"].(string)
	}
	if source != "(embedded default)" {
		t.Errorf("config source %q, want (embedded default)", source)
	}
	for _, l := range []string{"metrics", "pprof", "rtsp", "rtmp", "hls", "webrtc", "srt"} {
		if d.Addr(l) != "" {
			t.Errorf("listener %s started on the default config", l)
		}
	}
	if code := d.Stop(t); code != 0 {
		t.Errorf("SIGTERM: exit code %d, want 0", code)
	}
	if !d.WaitLog(`"msg":"stopped"`, 0) {
		t.Errorf("no stopped line after SIGTERM")
	}
}

// Without a CONFIG argument ./streamgate.yml is read.
func TestStreamgateYmlInWorkingDirectory(t *testing.T) {
	t.Parallel()
	d := startInWorkingDirectory(t, "streamgate.yml", "from-working-dir")
	for _, e := range d.LogEntriesWhere("streamgate starting") {
		if e["config"] != "streamgate.yml" {
			t.Errorf("config source %v, want streamgate.yml", e["config"])
		}
	}
}

// A listener that cannot bind stops the daemon with exit code 1 and says why.
func TestBindFailureExitsOne(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testharness.TempFile(t, "busy.yml",
		fmt.Sprintf("logFormat: json\napiAddress: %s\nrtsp: no\nrtmp: no\nhls: no\nwebrtc: no\nsrt: no\n", busy.Addr()))
	out, errOut, code := testharness.RunCLI(t, "", cfg)
	out += errOut // the log goes to standard output (logDestinations: [stdout])
	if code != 1 {
		t.Errorf("exit code %d, want 1; output:\n%s", code, out)
	}
	if !strings.Contains(out, "cannot start") || !strings.Contains(out, busy.Addr().String()) {
		t.Errorf("the log does not say which address could not be bound:\n%s", out)
	}
}
