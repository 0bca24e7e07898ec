// Package testharness runs the real streamgate binary for end-to-end tests:
// it builds ./cmd/streamgate once per test process, starts it on a config
// written into t.TempDir(), learns each listener's ephemeral address from the
// JSON log, waits for /ready, and stops it with SIGTERM when the test ends
// (asserting exit code 0).
//
// Every server a test starts listens on 127.0.0.1 with an ephemeral port:
//
//   - logFormat is forced to json (STREAMGATE_LOGFORMAT=json), so the log can
//     be parsed;
//   - every listener address key the caller's YAML does not set
//     (apiAddress, metricsAddress, pprofAddress, rtspAddress, rtspsAddress,
//     rtmpAddress, rtmpsAddress, hlsAddress, webrtcAddress,
//     webrtcLocalUDPAddress, srtAddress, gatewayAddress) is set to
//     127.0.0.1:0 through MTX_<KEY>; an address the caller's YAML does set
//     must be on 127.0.0.1 (write 127.0.0.1:0), or Start fails the test.
//     rtpAddress/rtcpAddress are left alone: a test that enables RTSP over
//     UDP sets them itself (or uses rtspTransports: [tcp]);
//   - rtsp, rtmp, hls, webrtc and srt are switched off (MTX_RTSP=no, …)
//     unless the caller's YAML sets the key (or WithEnv does);
//   - MTX_*, RTSP_* and STREAMGATE_* variables of the test process are not passed
//     on; WithEnv adds variables and overrides the harness's.
//
// Peers for the Savant Media Gateway tests: StartEtcd runs a real etcd with
// TLS client certificates, StartProxy puts a TCP proxy that can be cut in
// front of it, and StartSavantReader runs an independent Python Savant
// reader (e2e/testdata/savant_reader.py). For the jwt backend,
// SharedJWTIssuer makes keys and tokens with PyJWT (e2e/testdata/jwtgen.py)
// and StartJWKSServer serves a JWKS that can change and go down. Each fails
// the test under CI=true, or skips it, when its Debian packages are missing.
//
// For the TLS listeners, NewCA makes a throw-away CA that issues server and
// client certificates and CRLs (etcd's certificates come from one too);
// WriteFile, TempFile and ReplaceFile write the files a test hands the daemon.
package testharness

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// StopTimeout bounds how long a stopped daemon may take to exit.
const StopTimeout = 10 * time.Second

// DefaultReadyTimeout bounds how long Start waits for the daemon to be ready.
const DefaultReadyTimeout = 20 * time.Second

// Daemon is one running streamgate process.
type Daemon struct {
	// Dir is the daemon's working directory (a t.TempDir()).
	Dir string
	// ConfigPath is the config file written for it ("" when none).
	ConfigPath string

	cmd         *exec.Cmd
	log         *logBuffer
	addrs       map[string]listenerInfo
	exited      chan struct{}
	stopOnce    sync.Once
	exitCode    int
	dumped      bool // the output was already shown with a failure
	metricsUser string
	metricsPass string
	killed      bool // Kill ended it: no exit code to check
}

type listenerInfo struct {
	address string
	tls     bool
}

// Option changes how Start runs the daemon.
type Option func(*options)

type options struct {
	env          []string
	configName   string
	noConfigArg  bool
	readyTimeout time.Duration
	metricsUser  string
	metricsPass  string
	nofile       uint64
}

// WithFileLimit runs the daemon with RLIMIT_NOFILE set to n, soft and hard
// (through prlimit(1), util-linux), so that descriptor exhaustion can be
// reached with a few connections. The daemon cannot raise it.
func WithFileLimit(n uint64) Option {
	return func(o *options) { o.nofile = n }
}

// WithEnv adds environment variables ("KEY=VALUE"); they override the
// harness's own (MTX_RTSP=no, MTX_APIADDRESS=127.0.0.1:0, …).
func WithEnv(kv ...string) Option {
	return func(o *options) { o.env = append(o.env, kv...) }
}

// ConfigFileName names the config file written into the daemon's directory
// (default streamgate-e2e.yml; use a .json name for the Media Gateway dialect).
func ConfigFileName(name string) Option {
	return func(o *options) { o.configName = name }
}

// NoConfigArg runs `streamgate` without the CONFIG argument, so that it
// looks for ./streamgate.yml, ./mediamtx.yml (then MediaMTX's other places),
// else uses the embedded default.
// With an empty yamlConfig no file is written at all.
func NoConfigArg() Option {
	return func(o *options) { o.noConfigArg = true }
}

// WithReadyTimeout changes how long Start waits for readiness.
func WithReadyTimeout(d time.Duration) Option {
	return func(o *options) { o.readyTimeout = d }
}

// WithMetricsAuth sets the Basic credentials Metric and MetricsText use.
func WithMetricsAuth(user, pass string) Option {
	return func(o *options) { o.metricsUser, o.metricsPass = user, pass }
}

// Start writes yamlConfig into a temporary directory and runs the daemon on
// it (see the package comment for what the harness enforces). It returns
// once /ready answers 200, and stops the daemon when the test ends.
func Start(t testing.TB, yamlConfig string, opts ...Option) *Daemon {
	t.Helper()
	d, err := start(t, yamlConfig, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TryStart is Start for a caller that may try again: a daemon that does not
// become ready is stopped and its error (with its output) returned instead
// of failing the test — for a configuration naming a port that was free a
// moment before, which a parallel test may have bound in between.
func TryStart(t testing.TB, yamlConfig string, opts ...Option) (*Daemon, error) {
	t.Helper()
	return start(t, yamlConfig, opts...)
}

func start(t testing.TB, yamlConfig string, opts ...Option) (*Daemon, error) {
	t.Helper()
	o := options{configName: "streamgate-e2e.yml", readyTimeout: DefaultReadyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	bin := Build(t)
	d := &Daemon{Dir: t.TempDir(), log: newLogBuffer(), exited: make(chan struct{}),
		metricsUser: o.metricsUser, metricsPass: o.metricsPass}
	var args []string
	if yamlConfig != "" || !o.noConfigArg {
		d.ConfigPath = WriteFile(t, d.Dir, o.configName, yamlConfig)
		if !o.noConfigArg {
			args = append(args, d.ConfigPath)
		}
	}
	env, err := harnessEnv(yamlConfig)
	if err != nil {
		t.Fatalf("testharness: %v", err)
	}
	if o.nofile > 0 {
		prlimit, err := exec.LookPath("prlimit")
		if err != nil {
			Missing(t, "prlimit not found: install util-linux")
		}
		args = append([]string{fmt.Sprintf("--nofile=%d:%d", o.nofile, o.nofile), "--", bin}, args...)
		bin = prlimit
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Dir = d.Dir
	d.cmd.Env = childEnv(append(env, o.env...))
	d.cmd.Stdout = d.log.writer("stdout")
	d.cmd.Stderr = d.log.writer("stderr")
	setProcAttr(d.cmd)
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start streamgate: %v", err)
	}
	go func() {
		_ = d.cmd.Wait()
		d.exitCode = d.cmd.ProcessState.ExitCode()
		close(d.exited)
	}()
	var notReady bool
	t.Cleanup(func() {
		if code := d.Stop(t); code != 0 && !notReady && !d.killed {
			t.Errorf("streamgate exited with code %d, want 0", code)
		}
		if t.Failed() && !d.dumped {
			t.Logf("streamgate output:\n%s", d.Logs())
		}
	})
	if err := d.waitReady(o.readyTimeout); err != nil {
		d.dumped, notReady = true, true
		d.Stop(t)
		return nil, fmt.Errorf("streamgate did not become ready: %v\n%s", err, d.Logs())
	}
	return d, nil
}

// Stop sends SIGTERM, waits up to StopTimeout (then kills) and returns the
// exit code (-1 when killed by a signal). It may be called more than once.
func (d *Daemon) Stop(t testing.TB) int {
	t.Helper()
	d.stopOnce.Do(func() {
		select {
		case <-d.exited:
			return
		default:
		}
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(StopTimeout):
			t.Errorf("streamgate did not exit within %s of SIGTERM; killing it (SIGQUIT first: its goroutines are in the output)", StopTimeout)
			_ = d.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-d.exited:
			case <-time.After(2 * time.Second):
				_ = d.cmd.Process.Kill()
				<-d.exited
			}
		}
	})
	<-d.exited
	return d.exitCode
}

// Kill ends the daemon with SIGKILL (a crash: no goodbye to anyone) and
// waits for it to exit; the test's end then checks no exit code.
func (d *Daemon) Kill() {
	d.stopOnce.Do(func() {
		d.killed = true
		_ = d.cmd.Process.Kill()
	})
	<-d.exited
}

// Reload sends the daemon SIGHUP, on which it reloads its configuration file.
func (d *Daemon) Reload(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("testharness: SIGHUP: %v", err)
	}
}

// Exited is closed when the process has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Addr is the bound host:port of a listener (api, metrics, pprof, …), or ""
// when that listener did not start.
func (d *Daemon) Addr(listener string) string { return d.addrs[listener].address }

// URL is the URL of path on a listener (https when it serves TLS). It
// panics when that listener did not start: a test asking for it is wrong.
func (d *Daemon) URL(listener, path string) string {
	l, ok := d.addrs[listener]
	if !ok {
		panic(fmt.Sprintf("testharness: listener %q did not start (started: %v)", listener, d.listenerNames()))
	}
	scheme := "http"
	if l.tls {
		scheme = "https"
	}
	return scheme + "://" + l.address + path
}

func (d *Daemon) listenerNames() []string {
	var out []string
	for n := range d.addrs {
		out = append(out, n)
	}
	return out
}

// httpListeners are the listeners that serve /health and /ready, in the
// order Start prefers for the readiness probe.
var httpListeners = []string{"api", "metrics", "pprof", "gateway", "hls", "webrtc"}

// waitReady waits for the "ready" log line, records the listener addresses
// logged before it, then polls /ready on the first HTTP listener.
func (d *Daemon) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if !d.waitFor(func(l logLine) bool { return l.fields["msg"] == "ready" }, time.Until(deadline)) {
		select {
		case <-d.exited:
			return fmt.Errorf("exited with code %d before logging ready", d.exitCode)
		default:
			return errors.New(`no "ready" log line`)
		}
	}
	d.addrs = map[string]listenerInfo{}
	for _, l := range d.log.lines() {
		if l.fields["msg"] != "listener started" {
			continue
		}
		name, _ := l.fields["listener"].(string)
		addr, _ := l.fields["address"].(string)
		tls, _ := l.fields["tls"].(bool)
		if name != "" && addr != "" {
			d.addrs[name] = listenerInfo{address: addr, tls: tls}
		}
	}
	for _, name := range httpListeners {
		if _, ok := d.addrs[name]; ok {
			return d.pollReady(d.URL(name, "/ready"), deadline)
		}
	}
	return nil // no HTTP listener: the "ready" line is all there is
}

func (d *Daemon) pollReady(url string, deadline time.Time) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{}).DialContext}}
	defer client.CloseIdleConnections()
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			return fmt.Errorf("exited with code %d", d.exitCode)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("GET %s: %s", url, last)
}

// addressKeys are the listener address keys the harness pins to 127.0.0.1:0.
var addressKeys = []string{"apiAddress", "metricsAddress", "pprofAddress", "rtspAddress", "rtspsAddress",
	"rtmpAddress", "rtmpsAddress", "hlsAddress", "webrtcAddress", "webrtcLocalUDPAddress", "srtAddress", "gatewayAddress"}

// mediaListeners are switched off unless the caller's YAML sets them.
var mediaListeners = []string{"rtsp", "rtmp", "hls", "webrtc", "srt"}

// harnessEnv derives the harness's variables from the caller's YAML.
func harnessEnv(yamlConfig string) ([]string, error) {
	top := map[string]any{}
	// A config that does not parse is the daemon's to reject; pin everything.
	_ = yaml.Unmarshal([]byte(yamlConfig), &top)
	env := []string{"STREAMGATE_LOGFORMAT=json"}
	for _, k := range addressKeys {
		v, set := top[k]
		if !set || v == nil {
			env = append(env, "MTX_"+strings.ToUpper(k)+"=127.0.0.1:0")
			continue
		}
		s, _ := v.(string)
		host, _, err := net.SplitHostPort(s)
		if err != nil || host != "127.0.0.1" {
			return nil, fmt.Errorf("%s: %q: e2e listeners must be on 127.0.0.1 (write 127.0.0.1:0)", k, s)
		}
	}
	for _, k := range mediaListeners {
		if _, set := top[k]; !set {
			env = append(env, "MTX_"+strings.ToUpper(k)+"=no")
		}
	}
	return env, nil
}

// childEnv is the test process's environment without MTX_* and
// STREAMGATE_* variables, plus extra (later entries win).
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MTX_") || strings.HasPrefix(kv, "STREAMGATE_") || strings.HasPrefix(kv, "RTSP_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
