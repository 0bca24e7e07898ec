package netfuzz

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"sync"
	"time"
)

// ReplayOptions says how a session is replayed.
type ReplayOptions struct {
	// Timeout bounds the whole session (default 3 s).
	Timeout time.Duration
	// NoFixups sends the bytes as they are: without it the RTSP session
	// ID, the WHEP session ID and the SRT SYN cookie and socket ID the
	// server hands out replace the recorded ones, so that a replayed,
	// authenticated session goes on past its handshake.
	NoFixups bool
	// ResponseWait bounds the wait for the answer to a request or
	// handshake before the next chunk is sent (default 300 ms).
	ResponseWait time.Duration
}

// Result is what a replayed session saw.
type Result struct {
	Sent, Received int
	Err            error
}

// Replay sends the session s to addr (127.0.0.1:PORT of s.Proto's
// listener) and returns when it is sent and the server had a moment to
// answer, or when the timeout passes.
func Replay(ctx context.Context, s Seed, addr string, o ReplayOptions) Result {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.ResponseWait <= 0 {
		o.ResponseWait = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if Protocols[s.Proto] == UDP {
		return replayUDP(ctx, s, addr, o)
	}
	return replayTCP(ctx, s, addr, o)
}

// idPatterns find, per protocol, the session identifier a server hands out
// (group 1) in both directions.
var idPatterns = map[string]*regexp.Regexp{
	"rtsp":   regexp.MustCompile(`(?i)\r\nSession: *([^;\r\n]+)`),
	"webrtc": regexp.MustCompile(`/whep/([0-9a-fA-F-]{36})`),
}

// responseStart counts answers in the server's byte stream.
var responseStart = regexp.MustCompile(`(?:RTSP|HTTP)/1\.[01] \d{3} `)

// requestStart tells a request (RTSP or HTTP) from other chunks.
var requestStart = regexp.MustCompile(`^[A-Z_]{3,16} \S+ (?:RTSP|HTTP)/`)

// serverSide collects what the server sent on one connection.
type serverSide struct {
	mu      sync.Mutex
	changed chan struct{}
	window  []byte // the last 64 KiB
	total   int
	answers int
	liveID  []byte
	done    bool
}

func newServerSide() *serverSide { return &serverSide{changed: make(chan struct{})} }

func (s *serverSide) add(b []byte, idRE *regexp.Regexp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Search across the previous read's end too.
	start := max(0, len(s.window)-256)
	s.window = append(s.window, b...)
	if len(s.window) > 64<<10 {
		cut := len(s.window) - 64<<10
		s.window = s.window[cut:]
		start = max(0, start-cut)
	}
	s.total += len(b)
	tail := s.window[start:]
	s.answers += len(responseStart.FindAllIndex(b, -1))
	if idRE != nil {
		if m := idRE.FindAllSubmatch(tail, -1); len(m) > 0 {
			s.liveID = bytes.Clone(m[len(m)-1][1])
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *serverSide) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitAnswers waits until more than n answers came, the server closed, or
// d passed.
func (s *serverSide) waitAnswers(ctx context.Context, n int, d time.Duration) {
	waitChange(ctx, d, func() (bool, <-chan struct{}) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.answers > n || s.done, s.changed
	})
}

// waitID waits until the server handed out a session ID, closed, or d
// passed.
func (s *serverSide) waitID(ctx context.Context, d time.Duration) {
	waitChange(ctx, d, func() (bool, <-chan struct{}) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.liveID) > 0 || s.done, s.changed
	})
}

// waitChange waits until state says the condition holds, ctx ends or d
// passed; state also returns the channel closed at the next change.
func waitChange(ctx context.Context, d time.Duration, state func() (bool, <-chan struct{})) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		ok, ch := state()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *serverSide) state() (answers int, liveID []byte, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers, s.liveID, s.total
}

func replayTCP(ctx context.Context, s Seed, addr string, o ReplayOptions) Result {
	var res Result
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		res.Err = err
		return res
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()

	idRE := idPatterns[s.Proto]
	if o.NoFixups {
		idRE = nil
	}
	var recordedID []byte
	if idRE != nil {
		for _, ch := range s.Chunks {
			if m := idRE.FindSubmatch(ch); m != nil {
				recordedID = m[1]
				break
			}
		}
	}
	srv := newServerSide()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer srv.finish()
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				srv.add(buf[:n], idRE)
			}
			if err != nil {
				return
			}
		}
	}()
	for _, ch := range s.Chunks {
		if ctx.Err() != nil {
			break
		}
		answers, liveID, _ := srv.state()
		if len(recordedID) > 0 && len(liveID) == 0 && bytes.Contains(ch, recordedID) {
			// The answer handing out the ID may still be on its way.
			srv.waitID(ctx, o.ResponseWait)
			answers, liveID, _ = srv.state()
		}
		if len(recordedID) > 0 && len(liveID) > 0 && !bytes.Equal(recordedID, liveID) {
			ch = bytes.ReplaceAll(ch, recordedID, liveID)
		}
		n, err := c.Write(ch)
		res.Sent += n
		if err != nil {
			res.Err = err
			break
		}
		if requestStart.Match(ch) {
			srv.waitAnswers(ctx, answers, o.ResponseWait)
		}
	}
	// A moment for the server to answer the last chunk (or to hang up).
	select {
	case <-readDone:
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
	}
	c.Close()
	<-readDone
	_, _, res.Received = srv.state()
	return res
}
