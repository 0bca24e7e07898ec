package testharness

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is the interpreter the Savant reader runs with (Debian's, which
// has python3-zmq and python3-protobuf).
const Python = "/usr/bin/python3"

// SavantMessage is one message the Python reader received.
type SavantMessage struct {
	// Frames are the raw ZeroMQ frames: topic, Message bytes, extra frames
	// (a ROUTER's identity frame removed).
	Frames [][]byte
	// Message is the decoded Message as protobuf JSON.
	Message map[string]any
	// Content names the Message's content oneof (video_frame, end_of_stream, …).
	Content string
}

// SavantReaderConfig says what e2e/testdata/savant_reader.py runs.
type SavantReaderConfig struct {
	// Type is sub, rep or router.
	Type string
	// Endpoint is a ZeroMQ endpoint (ipc:///… or tcp://…).
	Endpoint string
	// Count is how many messages the reader takes before it exits (default 1000).
	Count int
	// Timeout is how long the reader runs at most (default 60 s).
	Timeout time.Duration
	// Bind binds instead of connecting (for a writer that connects).
	Bind bool
	// Reply is what a rep or router reader answers instead of "OK".
	Reply string
}

// SavantReader is a running Python reader.
type SavantReader struct {
	cmd    *exec.Cmd
	exited chan struct{}

	mu      sync.Mutex
	msgs    []SavantMessage
	changed chan struct{} // closed and replaced on every message
	other   []string      // lines that are not messages (stderr, errors)
}

// StartSavantReader runs the independent Python reader and returns once it
// printed "ready" (its socket is set up; a SUB may still need a moment for
// its subscription to reach a PUB). The reader is killed when the test ends.
// It fails the test under CI=true, or skips it, when protoc, python3 or its
// zmq and protobuf modules are missing.
func StartSavantReader(t testing.TB, cfg SavantReaderConfig) *SavantReader {
	t.Helper()
	dir := savantPB(t)
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Count == 0 {
		cfg.Count = 1000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	args := []string{"-u", filepath.Join(root, "e2e", "testdata", "savant_reader.py"), cfg.Type, cfg.Endpoint,
		strconv.Itoa(cfg.Count), strconv.FormatFloat(cfg.Timeout.Seconds(), 'f', 3, 64)}
	if cfg.Bind {
		args = append(args, "--bind")
	}
	if cfg.Reply != "" {
		args = append(args, "--reply", cfg.Reply)
	}
	r := &SavantReader{exited: make(chan struct{}), changed: make(chan struct{})}
	r.cmd = exec.Command(Python, args...)
	r.cmd.Env = append(childEnv(nil), "PYTHONPATH="+dir)
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	setProcAttr(r.cmd)
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("testharness: start savant reader: %v", err)
	}
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
		first := true
		for sc.Scan() {
			line := sc.Text()
			if first && line == "ready" {
				first = false
				close(ready)
				continue
			}
			r.add(line)
		}
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.other = append(r.other, "stderr: "+sc.Text())
			r.mu.Unlock()
		}
	}()
	go func() {
		wg.Wait()
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			if o := r.Output(); o != "" {
				t.Logf("savant reader (%s %s) output:\n%s", cfg.Type, cfg.Endpoint, o)
			}
		}
	})
	select {
	case <-ready:
		return r
	case <-r.exited:
		t.Fatalf("testharness: savant reader exited before it was ready:\n%s", r.Output())
	case <-time.After(15 * time.Second):
		t.Fatalf("testharness: savant reader not ready within 15 s:\n%s", r.Output())
	}
	return nil
}

func (r *SavantReader) add(line string) {
	var raw struct {
		Frames  []string       `json:"frames"`
		Message map[string]any `json:"message"`
		Content string         `json:"content"`
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal([]byte(line), &raw); err != nil || raw.Frames == nil {
		r.other = append(r.other, "stdout: "+line)
		return
	}
	m := SavantMessage{Message: raw.Message, Content: raw.Content}
	for _, f := range raw.Frames {
		b, err := hex.DecodeString(f)
		if err != nil {
			r.other = append(r.other, "bad frame hex: "+line)
			return
		}
		m.Frames = append(m.Frames, b)
	}
	r.msgs = append(r.msgs, m)
	close(r.changed)
	r.changed = make(chan struct{})
}

// Messages returns the messages received so far.
func (r *SavantReader) Messages() []SavantMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SavantMessage(nil), r.msgs...)
}

// Wait waits up to timeout until n messages have arrived and returns all
// received so far (fewer than n when it timed out or the reader exited).
func (r *SavantReader) Wait(n int, timeout time.Duration) []SavantMessage {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		got, changed := append([]SavantMessage(nil), r.msgs...), r.changed
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-r.exited:
			return r.Messages()
		case <-deadline.C:
			return got
		}
	}
}

// Exited is closed when the reader has exited and its output is read.
func (r *SavantReader) Exited() <-chan struct{} { return r.exited }

// Stop kills the reader and waits for it.
func (r *SavantReader) Stop() {
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// Output is what the reader printed besides messages.
func (r *SavantReader) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.other, "\n")
}

// savantPB generates savant_pb2.py once per test process and returns its
// directory (for PYTHONPATH).
func savantPB(t testing.TB) string {
	t.Helper()
	requireFile(t, "/usr/bin/protoc", "protobuf-compiler")
	RequirePython(t, []string{"zmq", "google.protobuf"}, "python3-zmq", "python3-protobuf")
	return savantPBDir(t)
}

// savantPBDir generates savant_pb2.py once per test process, in a
// directory that lives as long as the process.
var savantPBDir = perProcess(func() (string, error) {
	dir, err := os.MkdirTemp("", "streamgate-e2e-pb-")
	if err != nil {
		return "", err
	}
	if err := runInModuleRoot("protoc", "/usr/bin/protoc", "--python_out="+dir, "-I", "protocols/savant/pb", "protocols/savant/pb/savant.proto"); err != nil {
		return "", err
	}
	return dir, nil
})

// IPCEndpoint is ipc://DIR/NAME in a fresh short directory under the system
// temporary directory (a t.TempDir() path can exceed the 107 bytes a Unix
// socket path may have); the directory is removed when the test ends.
func IPCEndpoint(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sg-ipc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "ipc://" + filepath.Join(dir, name)
}
