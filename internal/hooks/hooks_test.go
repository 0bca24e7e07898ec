package hooks_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/hooks"
	"github.com/streamgate/streamgate/internal/testharness"
)

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func pidIn(t *testing.T, path string) int {
	t.Helper()
	var pid int
	testharness.WaitFor(t, "pid file", 5*time.Second, func() bool {
		n, err := strconv.Atoi(strings.TrimSpace(readFile(path)))
		pid = n
		return err == nil && n > 0
	})
	return pid
}

// script writes a shell script and returns the command line running it
// with args: a command line is expanded as MediaMTX expands it ($0, $$ and
// $! would be taken), a script file is not.
func script(t *testing.T, body string, args ...string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "hook*.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(body + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return "sh " + strings.Join(append([]string{f.Name()}, args...), " ")
}

func newRunner(t *testing.T, o hooks.Options) *hooks.Runner {
	t.Helper()
	if o.Environ == nil {
		o.Environ = hooks.FilterEnviron(os.Environ(), nil)
	}
	r := hooks.NewRunner(o)
	t.Cleanup(r.Close)
	return r
}

func TestArgs(t *testing.T) {
	environ := []string{"HOME=/home/x", "PLAIN=p"}
	got, err := hooks.Args(`ffmpeg -i "rtsp://localhost:$RTSP_PORT/$MTX_PATH" -f 'a b' ${PLAIN}x $MTX_PASS`,
		hooks.Env{"RTSP_PORT": "8554", "MTX_PATH": "cam/1"}, environ)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ffmpeg", "-i", "rtsp://localhost:8554/cam/1", "-f", "a b", "px", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := hooks.Args(`sh -c "unclosed`, nil, nil); err == nil {
		t.Fatal("an unclosed quote was accepted")
	}
}

func TestFilterQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"user=u&pass=p&a=1", "a=1"},
		{"token=T&jwt=J&__token__=E&a=1&password=x&passphrase=y", "a=1"},
		{"PASS=x&Token=y&access_token=z&api_key=k&sig=s&key=k&a=%20&key1=v", "a=%20&key1=v"},
		{"a=1;pass=x&b=2", "b=2"},
		{"%70ass=x&c=3", "c=3"},
		{"streamid=x&u=1&s=2&t=3&keep=yes", "keep=yes"},
	} {
		if got := hooks.FilterQuery(tc.in); got != tc.want {
			t.Errorf("FilterQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := hooks.QueryVar("key1=val1&pass=x&key2=val2"); got != "key1%3Dval1%26key2%3Dval2" {
		t.Errorf("QueryVar = %q", got)
	}
}

func TestFilterEnviron(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "HOME=/root", "LANG=C",
		"MTX_AUTHINTERNALUSERS_0_PASS=pw1", "MTX_RTSPADDRESS=:1", "STREAMGATE_SAVANT_URL=tcp://x",
		"RTSP_PROTOCOLS=tcp", "DB_PASSWORD=x", "API_TOKEN=y", "AWS_SECRET_ACCESS_KEY=z",
		"CAMS=hunter2secret", "SHORT=ab", "OTHER=xab",
	}
	got := strings.Join(hooks.FilterEnviron(in, []string{"hunter2secret", "ab"}), " ")
	if got != "PATH=/usr/bin HOME=/root LANG=C OTHER=xab" {
		t.Fatalf("got %s", got)
	}
	env := hooks.Environ([]string{"PATH=/bin", "MTX_PATH=old"}, hooks.Env{"MTX_PATH": "new", "G1": "g"})
	if strings.Join(env, " ") != "PATH=/bin G1=g MTX_PATH=new" {
		t.Fatalf("Environ: %q", env)
	}
}

// A hook gets the filtered environment plus its variables, and its output
// goes to the log line by line, long lines cut.
func TestRunEnvironmentAndOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	var logs testharness.LockedBuffer
	r := newRunner(t, hooks.Options{
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)).With("component", "hook"),
		Environ: hooks.FilterEnviron([]string{"PATH=" + os.Getenv("PATH"), "MTX_X_PASS=secret1", "KEEP=1"}, nil),
	})
	long := strings.Repeat("x", hooks.MaxLineLength+100)
	r.Run(hooks.Hook{Name: "runOnTest", Command: script(t, `env > "$1.tmp" && mv "$1.tmp" "$1"; echo hello; echo "$2" >&2; echo bye`, out, long)},
		hooks.Env{"MTX_PATH": "cam"})
	testharness.WaitFor(t, "env file", 5*time.Second, func() bool { return readFile(out) != "" })
	env := readFile(out)
	for _, want := range []string{"MTX_PATH=cam\n", "KEEP=1\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "secret1") {
		t.Errorf("env holds a secret:\n%s", env)
	}
	// stdout and stderr are read by two goroutines: wait for the last line
	// of each (the cut stderr line may be logged after stdout's "bye").
	testharness.WaitFor(t, "output lines", 5*time.Second, func() bool {
		l := logs.String()
		return strings.Contains(l, `"line":"bye"`) && strings.Contains(l, `"truncated":true`)
	})
	type rec struct {
		Component, Hook, Stream, Line string
		Truncated                     bool
	}
	var lines []rec
	for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var x rec
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		if x.Line != "" {
			lines = append(lines, x)
		}
	}
	var sawHello, sawLong bool
	for _, l := range lines {
		if l.Component != "hook" || l.Hook != "runOnTest" {
			t.Errorf("line without component/hook: %+v", l)
		}
		switch {
		case l.Line == "hello" && l.Stream == "stdout":
			sawHello = true
		case l.Stream == "stderr" && l.Truncated:
			sawLong = true
			if len(l.Line) > hooks.MaxLineLength {
				t.Errorf("a line of %d bytes was logged", len(l.Line))
			}
		case l.Stream == "stderr" && strings.HasPrefix(l.Line, "xxx"):
			t.Errorf("the rest of a cut line was logged as a line (%d bytes)", len(l.Line))
		}
	}
	if !sawHello || !sawLong {
		t.Errorf("hello %v, long line cut %v:\n%s", sawHello, sawLong, logs.String())
	}
}

// A …Restart hook runs again after it exits, until stopped.
func TestRestart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runs")
	r := newRunner(t, hooks.Options{RestartPause: 20 * time.Millisecond})
	p := r.Start(hooks.Hook{Name: "runOnInit", Command: script(t, `echo run >> "$1"`, out), Restart: true}, nil)
	testharness.WaitFor(t, "three runs", 10*time.Second, func() bool { return strings.Count(readFile(out), "run") >= 3 })
	p.Stop()
	<-p.Done()
	n := strings.Count(readFile(out), "run")
	// Done means no run is left to come.
	if again := strings.Count(readFile(out), "run"); again != n {
		t.Fatalf("ran after Done: %d then %d", n, again)
	}
}

// Stop interrupts the whole process group: a foreground child at once
// (SIGINT), a background job of sh, which ignores SIGINT, at the grace.
func TestStopKillsGroup(t *testing.T) {
	dir := t.TempDir()
	r := newRunner(t, hooks.Options{Grace: 300 * time.Millisecond})
	fg := filepath.Join(dir, "fg")
	p := r.Start(hooks.Hook{Name: "runOnRead", Command: script(t, `sh -c 'echo $$ > "$0"; exec sleep 3600' "$1"; echo never`, fg)}, nil)
	pid := pidIn(t, fg)
	p.Stop()
	testharness.WaitFor(t, "the foreground child to die", 5*time.Second, func() bool { return !alive(pid) })
	<-p.Done()

	bg := filepath.Join(dir, "bg")
	p = r.Start(hooks.Hook{Name: "runOnRead", Command: script(t, `sleep 3600 & echo $! > "$1"; wait`, bg)}, nil)
	pid = pidIn(t, bg)
	p.Stop()
	testharness.WaitFor(t, "the background child to die", 5*time.Second, func() bool { return !alive(pid) })

	// A command that exits leaving a child: the child goes at Stop.
	left := filepath.Join(dir, "left")
	p = r.Start(hooks.Hook{Name: "runOnRead", Command: script(t, `sleep 3600 & echo $! > "$1"`, left)}, nil)
	pid = pidIn(t, left)
	if !alive(pid) {
		t.Fatal("the child is gone before Stop")
	}
	p.Stop()
	testharness.WaitFor(t, "the left-over child to die", 5*time.Second, func() bool { return !alive(pid) })
}

// Pair runs on while the trigger lasts and off once it ended.
func TestPair(t *testing.T) {
	dir := t.TempDir()
	on, off := filepath.Join(dir, "on"), filepath.Join(dir, "off")
	r := newRunner(t, hooks.Options{Grace: time.Second})
	end := r.Pair(hooks.Hook{Name: "runOnRead", Command: script(t, `echo $$ > "$1"; exec sleep 3600`, on)},
		hooks.Hook{Name: "runOnUnread", Command: script(t, `echo $MTX_READER_ID > "$1"`, off)}, hooks.Env{"MTX_READER_ID": "r1"})
	pid := pidIn(t, on)
	end()
	end()
	testharness.WaitFor(t, "runOnUnread", 5*time.Second, func() bool { return strings.TrimSpace(readFile(off)) == "r1" })
	testharness.WaitFor(t, "runOnRead to end", 5*time.Second, func() bool { return !alive(pid) })
	if noop := r.Pair(hooks.Hook{}, hooks.Hook{}, nil); noop == nil {
		t.Fatal("nil end")
	}
}

// Past MaxProcesses a hook is not started; Close stops every process.
func TestMaxProcessesAndClose(t *testing.T) {
	dir := t.TempDir()
	var logs testharness.LockedBuffer
	r := hooks.NewRunner(hooks.Options{MaxProcesses: 1, Grace: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Environ: hooks.FilterEnviron(os.Environ(), nil)})
	a := filepath.Join(dir, "a")
	r.Start(hooks.Hook{Name: "runOnReady", Command: script(t, `echo $$ > "$1"; exec sleep 3600`, a)}, nil)
	pid := pidIn(t, a)
	b := filepath.Join(dir, "b")
	p := r.Start(hooks.Hook{Name: "runOnReady", Command: script(t, `echo $$ > "$1"`, b)}, nil)
	<-p.Done()
	if readFile(b) != "" || !strings.Contains(logs.String(), "too many hook processes") {
		t.Fatalf("second hook ran past the bound: %q\n%s", readFile(b), logs.String())
	}
	if r.Running() != 1 {
		t.Fatalf("running %d", r.Running())
	}
	r.Close()
	if alive(pid) {
		t.Fatal("Close left a hook running")
	}
	if r.Start(hooks.Hook{Name: "x", Command: "true"}, nil) != nil {
		t.Fatal("started after Close")
	}
}
