package testharness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed" // browser.mjs
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ChromiumBinary is the browser Play drives: Debian's chromium package
// (built with the proprietary codecs, so it plays H.264 and AAC).
const ChromiumBinary = "/usr/bin/chromium"

// PlaywrightVersion is the npm playwright-core release PlaywrightModule
// installs (it supports node >= 20 and drives Chromium 156 over CDP).
const PlaywrightVersion = "1.65.1"

// chromiumArgs are the flags of every Chromium Play launches: the first
// four are the project's mandate for headless test browsers.
var chromiumArgs = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--autoplay-policy=no-user-gesture-required",
	"--allow-loopback-in-peer-connection",
	"--mute-audio",
	"--disable-dev-shm-usage",
}

//go:embed browser.mjs
var browserScript []byte

// RequireChromium makes sure Debian's Chromium is installed and returns its
// path: if it is not, the test fails under CI=true and is skipped otherwise,
// saying what to install.
func RequireChromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(ChromiumBinary); err != nil {
		Missing(t, "%s is missing: apt-get install chromium (Debian package chromium, make deps)", ChromiumBinary)
	}
	return ChromiumBinary
}

// PlaywrightModule returns a node_modules directory holding npm
// playwright-core at PlaywrightVersion, installing it once into a shared
// temporary directory (without Playwright's browser download: Play uses
// ChromiumBinary); concurrent test binaries take turns through a file lock.
// Without node, npm or the registry the test fails under CI=true and is
// skipped otherwise, saying what to install.
func PlaywrightModule(t testing.TB) string {
	t.Helper()
	return npmModule(t, "playwright-core", PlaywrightVersion, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
}

// PlayOptions says what Play opens and how long it waits.
type PlayOptions struct {
	// URL is the page to open; its first <video> element is watched.
	URL string
	// User and Pass are HTTP Basic credentials Chromium answers a 401
	// challenge with (Playwright's httpCredentials), once per request: wrong
	// ones end in the 401. Both empty: no credentials.
	User, Pass string
	// Want is how far the video must play: Play waits until the video's
	// currentTime passes it (seconds, default 2).
	Want float64
	// Timeout bounds the wait from the page load on (default 30 s);
	// Chromium's start comes on top.
	Timeout time.Duration
	// Publish watches a publish page instead of a video: Played is set
	// once the page's document.body.dataset.state is "publishing"
	// (streamgate's /PATH/publish page), and the page is then kept open
	// for Hold before the browser closes; "refused" ends the run at once.
	// Chromium gets a fake camera and microphone.
	Publish bool
	// Hold is how long a publishing page stays open (default 10 s).
	Hold time.Duration
	// Screenshot is where a PNG of the page is saved at the end, whether
	// the video played or not; a relative path is taken under
	// t.ArtifactDir() (kept with go test -artifacts -outputdir DIR,
	// removed after the test otherwise). Empty: no screenshot.
	Screenshot string
}

// PlayResult is what Play saw.
type PlayResult struct {
	// Played says the video's currentTime passed PlayOptions.Want.
	Played bool
	// CurrentTime is the video's last currentTime (seconds).
	CurrentTime float64
	// FirstFrame is the time from the navigation start to the first video
	// frame shown (requestVideoFrameCallback, or currentTime > 0 when that
	// is earlier); 0 when none was shown.
	FirstFrame time.Duration
	// Status is the HTTP status of the page load (0 when none came).
	Status int
	// Console holds the browser's console lines, page errors, failed
	// requests and HTTP error responses, for diagnosis.
	Console []string
	// Error says why the video did not play ("" when it did).
	Error string
	// Screenshot is the PNG's path ("" when none was asked for).
	Screenshot string
	// Launch is how long Chromium took to start; Elapsed is the whole run.
	Launch, Elapsed time.Duration

	leftovers int // browser processes killMarked had to kill
}

// browserResult is the JSON line browser.mjs prints.
type browserResult struct {
	Played       bool     `json:"played"`
	CurrentTime  float64  `json:"currentTime"`
	FirstFrameMS float64  `json:"firstFrameMs"`
	Status       int      `json:"status"`
	Console      []string `json:"console"`
	Error        string   `json:"error"`
	LaunchError  string   `json:"launchError"`
	LaunchMS     float64  `json:"launchMs"`
	ElapsedMS    float64  `json:"elapsedMs"`
}

// Play opens opts.URL in headless Debian Chromium (driven by npm
// playwright-core through node), watches the page's first <video> until
// its currentTime passes opts.Want or opts.Timeout runs out, saves the
// screenshot and reports what it saw. It never hangs: a page without a
// video, a 4xx/5xx page load or a stuck page ends in Played false with
// Error saying why. Chromium and node are killed when the run ends or the
// test process dies. Without Chromium, node or npm the test fails under
// CI=true and is skipped otherwise.
func Play(t testing.TB, opts PlayOptions) PlayResult {
	t.Helper()
	RequireChromium(t)
	modules := PlaywrightModule(t)
	if opts.Want == 0 {
		opts.Want = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Publish && opts.Hold <= 0 {
		opts.Hold = 10 * time.Second
	}
	if opts.Screenshot != "" && !filepath.IsAbs(opts.Screenshot) {
		opts.Screenshot = filepath.Join(t.ArtifactDir(), opts.Screenshot)
	}
	// Chromium's start, the screenshot and the browser's close come on
	// top of opts.Timeout; the script bounds each of them itself.
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout+opts.Hold+50*time.Second)
	defer cancel()
	res, launchErr, stderr, err := play(ctx, t.TempDir(), modules, opts)
	if err != nil {
		t.Fatalf("testharness: browser on %s: %v\nnode stderr:\n%s", opts.URL, err, tail(stderr, 40))
	}
	if launchErr != "" {
		t.Fatalf("testharness: Chromium did not start: %s", launchErr)
	}
	t.Logf("browser %s: played %v, currentTime %.2f s, first frame %v, HTTP %d; Chromium start %v, run %v%s",
		opts.URL, res.Played, res.CurrentTime, res.FirstFrame.Round(time.Millisecond), res.Status,
		res.Launch.Round(time.Millisecond), res.Elapsed.Round(time.Millisecond), errSuffix(res.Error))
	if res.Screenshot != "" {
		t.Logf("browser screenshot: %s", res.Screenshot)
	}
	if res.leftovers > 0 {
		t.Logf("browser: killed %d Chromium processes that outlived the run", res.leftovers)
	}
	if !res.Played && len(res.Console) > 0 {
		t.Logf("browser console:\n\t%s", strings.Join(res.Console, "\n\t"))
	}
	return res
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ": " + e
}

// publishArgs are the extra Chromium flags of a publishing run: a fake
// camera and microphone, granted without a prompt.
func publishArgs(opts PlayOptions) []string {
	if !opts.Publish {
		return nil
	}
	return []string{"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"}
}

// play runs browser.mjs with opts in dir until it prints its result or ctx
// ends (then it is sent SIGTERM, which closes the browser, and SIGKILL 10 s
// later). launchErr says why Chromium did not start; err is set only when
// the script gave no result.
func play(ctx context.Context, dir, modules string, opts PlayOptions) (res PlayResult, launchErr, stderrText string, err error) {
	script := filepath.Join(dir, "browser.mjs")
	if err := os.WriteFile(script, browserScript, 0o644); err != nil {
		return PlayResult{}, "", "", err
	}
	marker := newMarker()
	arg, err := json.Marshal(map[string]any{
		"module":     modules,
		"executable": ChromiumBinary,
		"url":        opts.URL,
		"user":       opts.User,
		"pass":       opts.Pass,
		"want":       opts.Want,
		"timeoutMs":  opts.Timeout.Milliseconds(),
		"screenshot": opts.Screenshot,
		"publish":    opts.Publish,
		"holdMs":     opts.Hold.Milliseconds(),
		// Chromium ignores the unknown switch; it names this run's
		// browser processes for killMarked.
		"args": append(append(append([]string(nil), chromiumArgs...), publishArgs(opts)...), "--streamgate-browser="+marker),
	})
	if err != nil {
		return PlayResult{}, "", "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(arg) // the credentials stay out of ps
	cmd.Env = childEnv(nil)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	setProcAttr(cmd) // SIGKILL when the test process dies; Chromium exits with its pipe.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// On ctx's end: SIGTERM to node's process group, which makes
	// Playwright close Chromium (its own process group) and the script
	// print what it saw; SIGKILL after WaitDelay.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	// Whatever happened, no browser of this run outlives it.
	leftovers := killMarked(marker)

	var br *browserResult
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var r browserResult
		if line := sc.Bytes(); len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &r) == nil {
			br = &r
		}
	}
	if br == nil {
		if runErr == nil {
			runErr = errors.New("no result line")
		}
		return PlayResult{}, "", stderr.String(), fmt.Errorf("%v (stdout: %q)", runErr, tail(stdout.String(), 10))
	}
	res = PlayResult{
		Played:      br.Played,
		CurrentTime: br.CurrentTime,
		Status:      br.Status,
		Console:     br.Console,
		Error:       br.Error,
		Launch:      msDuration(br.LaunchMS),
		Elapsed:     msDuration(br.ElapsedMS),
		leftovers:   leftovers,
	}
	if br.FirstFrameMS >= 0 {
		res.FirstFrame = msDuration(br.FirstFrameMS)
	}
	if opts.Screenshot != "" {
		if _, err := os.Stat(opts.Screenshot); err == nil {
			res.Screenshot = opts.Screenshot
		}
	}
	return res, br.LaunchError, stderr.String(), nil
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

func newMarker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// killMarked SIGKILLs the processes whose command line holds
// --streamgate-browser=marker and returns how many there were (Linux /proc;
// elsewhere none are found).
func killMarked(marker string) int {
	needle := []byte("--streamgate-browser=" + marker)
	n := 0
	for _, pid := range markedPIDs(needle) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

func markedPIDs(needle []byte) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}
