package testharness

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// logLine is one line the daemon wrote, parsed when it is a JSON object.
type logLine struct {
	stream string
	text   string
	fields map[string]any // nil when the line is not JSON
}

// logBuffer collects the daemon's stdout and stderr line by line and wakes
// the waiters on every new line.
type logBuffer struct {
	mu      sync.Mutex
	all     []logLine
	changed chan struct{} // closed and replaced on every new line
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

// writer returns an io.Writer for one stream; it buffers a partial line
// until its newline arrives.
func (b *logBuffer) writer(stream string) *streamWriter {
	return &streamWriter{b: b, stream: stream}
}

func (b *logBuffer) add(stream, text string) {
	l := logLine{stream: stream, text: text}
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) == nil {
		l.fields = m
	}
	b.mu.Lock()
	b.all = append(b.all, l)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

func (b *logBuffer) lines() []logLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]logLine(nil), b.all...)
}

func (b *logBuffer) snapshot() ([]logLine, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]logLine(nil), b.all...), b.changed
}

type streamWriter struct {
	b       *logBuffer
	stream  string
	partial []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	// exec copies each stream on its own goroutine, one Write at a time.
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.b.add(w.stream, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// Logs returns everything the daemon wrote so far, stdout and stderr lines
// in arrival order.
func (d *Daemon) Logs() string {
	var sb strings.Builder
	for _, l := range d.log.lines() {
		sb.WriteString(l.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// LogEntries returns the JSON log lines so far, decoded; lines that are not
// JSON objects are left out.
func (d *Daemon) LogEntries() []map[string]any {
	var out []map[string]any
	for _, l := range d.log.lines() {
		if l.fields != nil {
			out = append(out, l.fields)
		}
	}
	return out
}

// LogEntriesWhere returns the decoded JSON log lines whose msg equals msg.
func (d *Daemon) LogEntriesWhere(msg string) []map[string]any {
	var out []map[string]any
	for _, m := range d.LogEntries() {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// WaitLog waits up to timeout for a log line containing substr and reports
// whether one arrived (lines already written count).
func (d *Daemon) WaitLog(substr string, timeout time.Duration) bool {
	return d.waitFor(func(l logLine) bool { return strings.Contains(l.text, substr) }, timeout)
}

// WaitLogCount waits up to timeout until at least n JSON log lines have msg
// equal to msg, and returns those seen (possibly fewer when it timed out).
func (d *Daemon) WaitLogCount(msg string, n int, timeout time.Duration) []map[string]any {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		lines, changed := d.log.snapshot()
		var got []map[string]any
		for _, l := range lines {
			if l.fields != nil && l.fields["msg"] == msg {
				got = append(got, l.fields)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-d.exited:
			return d.LogEntriesWhere(msg)
		case <-deadline.C:
			return got
		}
	}
}

// waitFor waits for a line matching pred, or the process's exit.
func (d *Daemon) waitFor(pred func(logLine) bool, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		lines, changed := d.log.snapshot()
		for _, l := range lines[seen:] {
			if pred(l) {
				return true
			}
		}
		seen = len(lines)
		select {
		case <-changed:
		case <-d.exited:
			// The output is complete once Wait returned; look once more.
			for _, l := range d.log.lines()[seen:] {
				if pred(l) {
					return true
				}
			}
			return false
		case <-deadline.C:
			return false
		}
	}
}
