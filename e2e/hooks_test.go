package e2e_test

// The runOn… hooks against the running binary: each hook writes its
// environment to a file of its own in the test's directory; the runOnReady,
// runOnRead and runOnConnect hooks then start a child (sleep) in their
// process group and wait for it. The tests read the files back: MediaMTX's
// variables are there, no password, passphrase or credential parameter is,
// the children are gone once what started their hook ended, and a client
// that did not authenticate started nothing.

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users and secrets of the hook tests. The reader's password reaches
// the configuration through MTX_AUTHINTERNALUSERS_1_PASS; the daemon's
// environment also holds it under a name that says nothing
// (HOOKS_E2E_CAMVIEW) and a secret under a name that says PASS: no hook
// gets any of them.
const (
	hookPubUser, hookPubPass   = "hpub", "hook-pub-secret-1"
	hookReadUser, hookReadPass = "hview", "hook-view-secret-2"
	hookPassphrase             = "hook-srt-passphrase-3"
	hookQuerySecret            = "hook-query-secret-4"
)

// hookScript is run by every hook as `sh hook.sh DIR NAME`: it writes its
// environment to DIR/NAME.PID.env; the hooks that last while something
// lasts then run a child that writes its PID to DIR/NAME.PID.pid and
// sleeps, in the foreground (it gets the group's SIGINT).
const hookScript = `dir=$1; name=$2
f="$dir/$name.$$"
env > "$f.tmp" && mv "$f.tmp" "$f.env"
case $name in
runOnReady|runOnRead|runOnConnect|runOnInit)
  sh -c 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; exec sleep 3600' sh "$f.pid"
  ;;
esac
`

// startHooksDaemon runs streamgate with RTSP, RTMP, SRT and HLS (and
// WebRTC when webrtc), every hook writing into dir, and the paths
// ~^cams/(\w+)$ (SRT read passphrase set) and init (a runOnInit).
func startHooksDaemon(t *testing.T, dir string, webrtc bool) *testharness.Daemon {
	t.Helper()
	testharness.WriteFile(t, dir, "hook.sh", hookScript)
	hook := func(name string) string { return fmt.Sprintf("sh %s/hook.sh %s %s", dir, dir, name) }
	top := ""
	if webrtc {
		top = "webrtc: yes\n"
	}
	cfg := fmt.Sprintf(`%s
rtsp: yes
rtspTransports: [tcp]
rtmp: yes
srt: yes
hls: yes
hlsSegmentDuration: 1s
hlsPartDuration: 200ms
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- user: %s
  pass: %s
  permissions: [{action: publish}]
- user: %s
  pass: placeholder-overridden
  permissions: [{action: read}]
runOnConnect: %s
runOnDisconnect: %s
paths:
  init:
    runOnInit: %s
  ~^cams/(\w+)$:
    srtReadPassphrase: %s
    runOnReady: %s
    runOnNotReady: %s
    runOnRead: %s
    runOnUnread: %s
`, top, hookPubUser, hookPubPass, hookReadUser, hook("runOnConnect"), hook("runOnDisconnect"), hook("runOnInit"),
		hookPassphrase, hook("runOnReady"), hook("runOnNotReady"), hook("runOnRead"), hook("runOnUnread"))
	d := testharness.Start(t, cfg, testharness.WithEnv("MTX_AUTHINTERNALUSERS_1_PASS="+hookReadPass,
		"HOOKS_E2E_CAMVIEW="+hookReadPass, "HOOKS_E2E_DBPASS="+hookQuerySecret, "HOOKS_E2E_OTHER=kept"))
	for _, l := range []string{"rtsp", "rtmp", "srt", "hls"} {
		if d.Addr(l) == "" {
			t.Fatalf("no %s listener started:\n%s", l, d.Logs())
		}
	}
	return d
}

// hookRun is one run of a hook: its environment and its files' stem.
type hookRun struct {
	env  map[string]string
	stem string // DIR/NAME.PID
}

// hookRuns reads the environment files of name's runs.
func hookRuns(dir, name string) []hookRun {
	files, _ := filepath.Glob(filepath.Join(dir, name+".*.env"))
	var out []hookRun
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		env := map[string]string{}
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				env[k] = v
			}
		}
		out = append(out, hookRun{env: env, stem: strings.TrimSuffix(f, ".env")})
	}
	return out
}

// waitHook waits for a run of name whose environment has every variable of
// want (a value "*" only needs to be set and not empty), other than the
// runs not.
func waitHook(t *testing.T, dir, name string, want map[string]string, not ...hookRun) hookRun {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
	next:
		for _, r := range hookRuns(dir, name) {
			for _, n := range not {
				if n.stem == r.stem {
					continue next
				}
			}
			if r.matches(want) {
				if startsChild(name) {
					// Seen once the script wrote its environment; its
					// child comes next. A test that then stops the hook
					// checks that child (childGone): it must have started.
					r.childStarted(t, name, deadline)
				}
				return r
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, r := range hookRuns(dir, name) {
				seen = append(seen, fmt.Sprint(pick(r.env, want)))
			}
			t.Fatalf("no %s run with %v; runs seen: %v", name, want, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r hookRun) matches(want map[string]string) bool {
	for k, v := range want {
		got, ok := r.env[k]
		if !ok || v == "*" && got == "" || v != "*" && got != v {
			return false
		}
	}
	return true
}

func pick(env, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		out[k] = env[k]
	}
	return out
}

// count is how many runs of name have every variable of want.
func countHooks(dir, name string, want map[string]string) int {
	n := 0
	for _, r := range hookRuns(dir, name) {
		if r.matches(want) {
			n++
		}
	}
	return n
}

// startsChild reports whether hookScript starts a long-running child for
// the hook name (the hooks that run until an event stops them).
func startsChild(name string) bool {
	switch name {
	case "runOnReady", "runOnRead", "runOnConnect", "runOnInit":
		return true
	}
	return false
}

// childStarted waits until the child r starts has written its .pid file,
// and returns that pid.
func (r hookRun) childStarted(t *testing.T, what string, deadline time.Time) int {
	t.Helper()
	for {
		b, _ := os.ReadFile(r.stem + ".pid")
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: its child never started", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childGone waits until the child r started (its .pid file) has exited.
func (r hookRun) childGone(t *testing.T, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	pid := r.childStarted(t, what, deadline)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: its child %d still runs", what, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processAlive: pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// noSecrets checks every environment file in dir for the secrets used,
// and for the variables streamgate's own configuration came from.
func noSecrets(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.env"))
	if len(files) == 0 {
		t.Fatal("no hook ran")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := string(b)
		for _, secret := range []string{hookPubPass, hookReadPass, hookPassphrase, hookQuerySecret, "HOOKS_E2E_CAMVIEW", "HOOKS_E2E_DBPASS", "MTX_AUTHINTERNALUSERS", "STREAMGATE_"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s holds %q:\n%s", filepath.Base(f), secret, s)
			}
		}
		if !strings.Contains(s, "HOOKS_E2E_OTHER=kept") {
			t.Errorf("%s lacks the daemon's other variables", filepath.Base(f))
		}
	}
}

// rtspPort is the port of d's RTSP listener (RTSP_PORT).
func rtspPortOf(t *testing.T, d *testharness.Daemon) string {
	t.Helper()
	_, port, err := net.SplitHostPort(d.Addr("rtsp"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// hookCase is one protocol's run through the hooks.
type hookCase struct {
	// unauthenticated makes a client of the protocol fail authentication.
	unauthenticated func(t *testing.T, d *testharness.Daemon)
	// publish starts a publisher of cams/one (query foo=pub with the
	// credentials).
	publish func(t *testing.T, d *testharness.Daemon) *peerProc
	// sourceType is MTX_SOURCE_TYPE; pubConn the publisher's MTX_CONN_TYPE.
	sourceType, pubConn string
	// read reads cams/one with query foo=read and the credentials (and a
	// credential parameter) to its end.
	read func(t *testing.T, d *testharness.Daemon)
	// readerType is MTX_READER_TYPE; readConn the reader's MTX_CONN_TYPE.
	readerType, readConn string
	// readQuery: the reader's MTX_QUERY is checked.
	readQuery bool
	// readEndsWithStream: the reader's hooks end with the stream (HLS
	// sessions, WebRTC sessions of a browser), not before.
	readEndsWithStream bool
	webrtc             bool
}

func runHookCase(t *testing.T, c hookCase) {
	dir := t.TempDir()
	d := startHooksDaemon(t, dir, c.webrtc)
	port := rtspPortOf(t, d)

	// runOnInit of the named path, at start.
	waitHook(t, dir, "runOnInit", map[string]string{"MTX_PATH": "init", "RTSP_PORT": port})

	c.unauthenticated(t, d)

	pub := c.publish(t, d)
	ready := waitHook(t, dir, "runOnReady", map[string]string{"MTX_PATH": "cams/one", "G1": "one", "RTSP_PORT": port,
		"MTX_SOURCE_TYPE": c.sourceType, "MTX_SOURCE_ID": "*", "MTX_QUERY": "foo%3Dpub"})
	pubConn := waitHook(t, dir, "runOnConnect", map[string]string{"MTX_CONN_TYPE": c.pubConn, "MTX_CONN_ID": "*", "RTSP_PORT": port})

	c.read(t, d)
	wantRead := map[string]string{"MTX_PATH": "cams/one", "G1": "one", "RTSP_PORT": port, "MTX_READER_TYPE": c.readerType, "MTX_READER_ID": "*"}
	if c.readQuery {
		wantRead["MTX_QUERY"] = "foo%3Dread"
	}
	read := waitHook(t, dir, "runOnRead", wantRead)
	readConn := waitHook(t, dir, "runOnConnect", map[string]string{"MTX_CONN_TYPE": c.readConn, "MTX_CONN_ID": "*"}, pubConn)
	if c.readEndsWithStream {
		pub.stop(t)
	}
	waitHook(t, dir, "runOnUnread", map[string]string{"MTX_READER_TYPE": c.readerType, "MTX_READER_ID": read.env["MTX_READER_ID"], "MTX_PATH": "cams/one"})
	read.childGone(t, "runOnRead")
	waitHook(t, dir, "runOnDisconnect", map[string]string{"MTX_CONN_TYPE": c.readConn, "MTX_CONN_ID": readConn.env["MTX_CONN_ID"]})
	readConn.childGone(t, "runOnConnect of the reader")

	if !c.readEndsWithStream {
		pub.stop(t)
	}
	waitHook(t, dir, "runOnNotReady", map[string]string{"MTX_SOURCE_ID": ready.env["MTX_SOURCE_ID"], "MTX_SOURCE_TYPE": c.sourceType})
	ready.childGone(t, "runOnReady")
	waitHook(t, dir, "runOnDisconnect", map[string]string{"MTX_CONN_TYPE": c.pubConn, "MTX_CONN_ID": pubConn.env["MTX_CONN_ID"]})
	pubConn.childGone(t, "runOnConnect of the publisher")

	// The client that failed authentication (before all of the above)
	// started no hook: every runOnConnect is the publisher's or the
	// reader's.
	if n := len(hookRuns(dir, "runOnConnect")); n != 2 {
		t.Errorf("%d runOnConnect runs, want 2 (publisher, reader)", n)
	}
	if n := countHooks(dir, "runOnRead", map[string]string{}); n != 1 {
		t.Errorf("%d runOnRead runs, want 1", n)
	}
	noSecrets(t, dir)
}

// rtspPublishCams publishes cams/one over RTSP with the publisher's
// credentials and ?foo=pub.
func rtspPublishCams(t *testing.T, d *testharness.Daemon) *peerProc {
	return rtspFFmpegPublish(t, rtspURL(d, hookPubUser, hookPubPass, "cams/one")+"?foo=pub", 30, "tcp")
}

// wantRefused runs ffmpeg reading src and wants it to fail.
func wantRefused(t *testing.T, src string, opts ...string) {
	t.Helper()
	if n, code, out := ffmpegDecode(t, src, 1, opts...); code == 0 || n > 0 {
		t.Fatalf("ffmpeg with wrong credentials read %s: exit %d, %d frames:\n%s", src, code, n, out)
	}
}

// wantRead runs ffmpeg reading 10 frames from src.
func wantRead(t *testing.T, src string, opts ...string) {
	t.Helper()
	if n, code, out := ffmpegDecode(t, src, 10, opts...); code != 0 || n == 0 {
		t.Fatalf("ffmpeg reading %s: exit %d, %d frames:\n%s", src, code, n, out)
	}
}

func TestHooksRTSP(t *testing.T) {
	t.Parallel()
	runHookCase(t, hookCase{
		unauthenticated: func(t *testing.T, d *testharness.Daemon) {
			wantRefused(t, rtspURL(d, hookReadUser, "wrong", "cams/one"))
		},
		publish:    rtspPublishCams,
		sourceType: "rtspSession", pubConn: "rtspConn",
		read: func(t *testing.T, d *testharness.Daemon) {
			wantRead(t, rtspURL(d, hookReadUser, hookReadPass, "cams/one")+"?foo=read&pass="+hookQuerySecret)
		},
		readerType: "rtspSession", readConn: "rtspConn", readQuery: true,
	})
}

func TestHooksRTMP(t *testing.T) {
	t.Parallel()
	runHookCase(t, hookCase{
		unauthenticated: func(t *testing.T, d *testharness.Daemon) {
			wantRefused(t, rtmpURL(d, "cams/one?"+rtmpCreds(hookReadUser, "wrong")))
		},
		publish: func(t *testing.T, d *testharness.Daemon) *peerProc {
			return rtmpFFmpegPublish(t, rtmpURL(d, "cams/one?"+rtmpCreds(hookPubUser, hookPubPass)+"&foo=pub"), 30)
		},
		sourceType: "rtmpConn", pubConn: "rtmpConn",
		read: func(t *testing.T, d *testharness.Daemon) {
			wantRead(t, rtmpURL(d, "cams/one?"+rtmpCreds(hookReadUser, hookReadPass)+"&foo=read"))
		},
		readerType: "rtmpConn", readConn: "rtmpConn", readQuery: true,
	})
}

func TestHooksSRT(t *testing.T) {
	t.Parallel()
	runHookCase(t, hookCase{
		unauthenticated: func(t *testing.T, d *testharness.Daemon) {
			wantRefused(t, srtURL(d, srtID("read", "cams/one", hookReadUser, "wrong")+":foo=read", "passphrase="+hookPassphrase))
		},
		publish: func(t *testing.T, d *testharness.Daemon) *peerProc {
			return srtFFmpegPublish(t, srtURL(d, srtID("publish", "cams/one", hookPubUser, hookPubPass)+":foo=pub"), 30)
		},
		sourceType: "srtConn", pubConn: "srtConn",
		read: func(t *testing.T, d *testharness.Daemon) {
			wantRead(t, srtURL(d, srtID("read", "cams/one", hookReadUser, hookReadPass)+":foo=read", "passphrase="+hookPassphrase))
		},
		readerType: "srtConn", readConn: "srtConn", readQuery: true,
	})
}

func TestHooksHLS(t *testing.T) {
	t.Parallel()
	runHookCase(t, hookCase{
		unauthenticated: func(t *testing.T, d *testharness.Daemon) {
			a := get(t, hlsURL(d, "cams/one/index.m3u8"), basicAuth(hookReadUser, "wrong"))
			wantStatus(t, "HLS with a wrong password", a, http.StatusUnauthorized)
		},
		publish:    rtspPublishCams,
		sourceType: "rtspSession", pubConn: "rtspConn",
		read: func(t *testing.T, d *testharness.Daemon) {
			wantRead(t, hlsURL(d, "cams/one/index.m3u8?foo=read&pass="+hookQuerySecret),
				"-headers", "Authorization: "+basicHeader(hookReadUser, hookReadPass)+"\r\n")
		},
		readerType: "hlsSession", readConn: "hlsSession", readQuery: true, readEndsWithStream: true,
	})
}

func TestHooksWebRTC(t *testing.T) {
	t.Parallel()
	testharness.RequireChromium(t)
	runHookCase(t, hookCase{
		webrtc: true,
		unauthenticated: func(t *testing.T, d *testharness.Daemon) {
			req, err := http.NewRequest(http.MethodPost, d.URL("webrtc", "/cams/one/whep"), strings.NewReader("v=0\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/sdp")
			req.SetBasicAuth(hookReadUser, "wrong")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("WHEP with a wrong password: %d, want 401", resp.StatusCode)
			}
		},
		publish:    rtspPublishCams,
		sourceType: "rtspSession", pubConn: "rtspConn",
		read: func(t *testing.T, d *testharness.Daemon) {
			r := testharness.Play(t, testharness.PlayOptions{URL: "http://" + d.Addr("webrtc") + "/cams/one/",
				User: hookReadUser, Pass: hookReadPass, Want: 1, Timeout: 30 * time.Second})
			if !r.Played {
				t.Fatalf("Chromium did not play over WebRTC: %s (status %d)", r.Error, r.Status)
			}
		},
		readerType: "webRTCSession", readConn: "webRTCSession", readEndsWithStream: true,
	})
}

// runOnInit runs for a named path at start; a reload that changes its
// command interrupts the old one's group and starts the new one; a reload
// that removes the path ends it; a path left as it was keeps its run.
func TestHooksRunOnInitReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testharness.WriteFile(t, dir, "hook.sh", hookScript)
	conf := func(paths string) string {
		return "rtsp: yes\nrtspTransports: [tcp]\npaths:\n" + paths
	}
	initPath := func(name, arg string) string {
		return fmt.Sprintf("  %s:\n    runOnInit: sh %s/hook.sh %s runOnInit %s\n", name, dir, dir, arg)
	}
	d := testharness.Start(t, conf(initPath("a", "v1")+initPath("b", "v1")))
	a1 := waitHook(t, dir, "runOnInit", map[string]string{"MTX_PATH": "a"})
	b1 := waitHook(t, dir, "runOnInit", map[string]string{"MTX_PATH": "b"})

	writeConfig(t, d, conf(initPath("a", "v2")+initPath("b", "v1")))
	d.Reload(t)
	a1.childGone(t, "runOnInit of a before its command changed")
	waitHook(t, dir, "runOnInit", map[string]string{"MTX_PATH": "a"}, a1)

	writeConfig(t, d, conf(initPath("a", "v2")))
	d.Reload(t)
	b1.childGone(t, "runOnInit of the removed path b")
	if n := countHooks(dir, "runOnInit", map[string]string{"MTX_PATH": "b"}); n != 1 {
		t.Errorf("b's runOnInit ran %d times, want 1 (unchanged by the first reload)", n)
	}
}
