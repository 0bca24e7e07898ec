// Package savant writes Savant messages to ZeroMQ: the socket types, modes,
// timeouts, retries and acknowledgements of savant-rs writers (see
// SAVANT_WIRE.md), behind a bounded queue so that a stalled consumer never
// blocks a producer.
package savant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	zmq "github.com/pebbe/zmq4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

// Errors a send can end with.
var (
	// ErrSendTimeout: every send attempt would have blocked (Savant's SendTimeout).
	ErrSendTimeout = errors.New("savant: send timeout")
	// ErrAckTimeout: the reader did not acknowledge in time (Savant's AckTimeout).
	ErrAckTimeout = errors.New("savant: acknowledgement timeout")
	// ErrNotAcknowledged: the reader answered an EndOfStream with something
	// other than "OK" (savant-rs's writer refuses such an answer too; for
	// ordinary messages any answer is the acknowledgement).
	ErrNotAcknowledged = errors.New("savant: end of stream not acknowledged")
	// ErrQueueFull: the writer's queue is full; the message was dropped.
	ErrQueueFull = errors.New("savant: queue full")
	// ErrClosed: the writer is shut down.
	ErrClosed = errors.New("savant: writer closed")
)

// Outgoing is one multipart ZeroMQ message: [topic, message, extra…].
type Outgoing struct {
	Topic   []byte
	Message []byte
	Extra   [][]byte
	// EndOfStream marks a message a DEALER writer waits an acknowledgement for.
	EndOfStream bool
}

// Config is the writer's configuration (internal/daemon maps the savant
// section onto it).
type Config struct {
	// URL is the socket's type, bind or connect, and endpoint.
	URL savanturl.URL
	// SendTimeout bounds one send.
	SendTimeout time.Duration
	// SendRetries is how many times a timed-out send is tried again.
	SendRetries int
	// ReceiveTimeout bounds the wait for an acknowledgement.
	ReceiveTimeout time.Duration
	// ReceiveRetries is how many times that wait is repeated.
	ReceiveRetries int
	// SendHWM and ReceiveHWM are the socket's high-water marks.
	SendHWM, ReceiveHWM int
	// FixIPCPermissions is the mode of a bound ipc socket file.
	FixIPCPermissions os.FileMode
	// QueueSize bounds the messages waiting for the socket (at least 1).
	QueueSize int
}

// Writer owns one ZeroMQ socket, used by one goroutine; everyone else
// hands it messages through a bounded queue.
type Writer struct {
	cfg     Config
	logger  *slog.Logger
	metrics *writerMetrics

	mu     sync.RWMutex // guards closed and sends on queue
	closed bool
	queue  chan job
	abort  chan struct{}
	done   chan struct{}

	sock *zmq.Socket // owned by the loop goroutine after NewWriter
}

type job struct {
	msg    Outgoing
	result chan error // nil: fire and forget
}

// NewWriter creates and binds (or connects) the socket, then starts the
// writer. Binding errors are returned here, so the daemon fails to start.
func NewWriter(cfg Config, reg prometheus.Registerer, logger *slog.Logger) (*Writer, error) {
	if !TuneMalloc() {
		logger.Debug("the C library does not take glibc's malloc settings; libzmq buffers use its defaults")
	}
	w := &Writer{cfg: cfg, logger: logger, metrics: newWriterMetrics(reg),
		queue: make(chan job, max(1, cfg.QueueSize)), abort: make(chan struct{}), done: make(chan struct{})}
	sock, err := w.open()
	if err != nil {
		return nil, err
	}
	w.sock = sock
	go w.loop()
	logger.Info("savant writer started", "type", cfg.URL.Type, "bind", cfg.URL.Bind, "endpoint", cfg.URL.Endpoint)
	return w, nil
}

func (w *Writer) open() (*zmq.Socket, error) {
	types := map[string]zmq.Type{"pub": zmq.PUB, "req": zmq.REQ, "dealer": zmq.DEALER}
	sock, err := zmq.NewSocket(types[w.cfg.URL.Type])
	if err != nil {
		return nil, fmt.Errorf("savant: socket: %w", err)
	}
	setup := []error{
		sock.SetLinger(100 * time.Millisecond),
		sock.SetSndhwm(w.cfg.SendHWM),
		sock.SetRcvhwm(w.cfg.ReceiveHWM),
		sock.SetSndtimeo(w.cfg.SendTimeout),
		sock.SetRcvtimeo(w.cfg.ReceiveTimeout),
	}
	if err := errors.Join(setup...); err != nil {
		sock.Close()
		return nil, fmt.Errorf("savant: socket options: %w", err)
	}
	ep := w.cfg.URL.Endpoint
	if !w.cfg.URL.Bind {
		if err := sock.Connect(ep); err != nil {
			sock.Close()
			return nil, fmt.Errorf("savant: connect %s: %w", ep, err)
		}
		return sock, nil
	}
	if p := w.cfg.URL.IPCPath; p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			sock.Close()
			return nil, fmt.Errorf("savant: ipc directory: %w", err)
		}
	}
	if err := sock.Bind(ep); err != nil {
		sock.Close()
		return nil, fmt.Errorf("savant: bind %s: %w", ep, err)
	}
	if p := w.cfg.URL.IPCPath; p != "" {
		if err := os.Chmod(p, w.cfg.FixIPCPermissions); err != nil {
			sock.Close()
			return nil, fmt.Errorf("savant: chmod %s: %w", p, err)
		}
	}
	return sock, nil
}

// Send writes m and waits for the outcome (and the acknowledgement, where
// the socket type has one). The gateway uses it to answer its client.
func (w *Writer) Send(ctx context.Context, m Outgoing) error {
	res := make(chan error, 1)
	if err := w.enqueue(job{msg: m, result: res}); err != nil {
		return err
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Enqueue hands m to the writer without waiting. A full queue drops m
// (counted); a stream publisher never waits for the consumer.
func (w *Writer) Enqueue(m Outgoing) error { return w.enqueue(job{msg: m}) }

func (w *Writer) enqueue(j job) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- j:
		w.metrics.queued.Inc()
		return nil
	default:
		w.metrics.result.WithLabelValues("queue_full").Inc()
		return ErrQueueFull
	}
}

// Close stops accepting, flushes what is queued until ctx ends, and closes
// the socket.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		close(w.abort)
		<-w.done
		return fmt.Errorf("savant: flush: %w", ctx.Err())
	}
}

func (w *Writer) loop() {
	defer close(w.done)
	defer func() { w.sock.Close() }()
	for j := range w.queue {
		w.metrics.queued.Dec()
		var err error
		select {
		case <-w.abort:
			err = ErrClosed
		default:
			err = w.write(j.msg)
		}
		w.metrics.result.WithLabelValues(resultLabel(err)).Inc()
		if err != nil && j.result == nil {
			w.logger.Debug("savant message not delivered", "error", err)
		}
		if j.result != nil {
			j.result <- err
		}
	}
}

func resultLabel(err error) string {
	switch {
	case err == nil:
		return "sent"
	case errors.Is(err, ErrSendTimeout):
		return "send_timeout"
	case errors.Is(err, ErrAckTimeout):
		return "ack_timeout"
	case errors.Is(err, ErrNotAcknowledged):
		return "not_acknowledged"
	case errors.Is(err, ErrClosed):
		return "closed"
	}
	return "error"
}

func isAgain(err error) bool { return zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) }

// write sends one message with Savant's retry rules and waits for its
// acknowledgement where the socket type has one.
func (w *Writer) write(m Outgoing) error {
	wantAck := w.cfg.URL.Type == "req" || (w.cfg.URL.Type == "dealer" && m.EndOfStream)
	if wantAck && w.cfg.URL.Type == "dealer" {
		// A late "OK" for an earlier, timed-out EndOfStream must not pass
		// for this one's. (The DEALER is never recreated: a ROUTER reader
		// tracks one identity per topic.)
		for {
			if _, err := w.sock.RecvMessageBytes(zmq.DONTWAIT); err != nil {
				break
			}
		}
	}
	sent := false
	for attempt := 0; attempt <= w.cfg.SendRetries; attempt++ {
		err := w.sendParts(m)
		if err == nil {
			sent = true
			break
		}
		if !isAgain(err) {
			return fmt.Errorf("savant: send: %w", err)
		}
	}
	if !sent {
		return ErrSendTimeout
	}
	if !wantAck {
		return nil
	}
	for attempt := 0; attempt <= w.cfg.ReceiveRetries; attempt++ {
		parts, err := w.sock.RecvMessageBytes(0)
		if err != nil {
			if isAgain(err) {
				continue
			}
			return fmt.Errorf("savant: receive: %w", err)
		}
		// As savant-rs: any answer acknowledges an ordinary message; an
		// EndOfStream needs "OK" as the last frame.
		if m.EndOfStream && (len(parts) == 0 || string(parts[len(parts)-1]) != "OK") {
			return ErrNotAcknowledged
		}
		return nil
	}
	if w.cfg.URL.Type == "req" {
		// A REQ socket that missed its reply refuses the next send (EFSM).
		w.recreate()
	}
	return ErrAckTimeout
}

func (w *Writer) sendParts(m Outgoing) error {
	frames := make([][]byte, 0, 2+len(m.Extra))
	frames = append(frames, m.Topic, m.Message)
	frames = append(frames, m.Extra...)
	for i, f := range frames {
		flag := zmq.SNDMORE
		if i == len(frames)-1 {
			flag = 0
		}
		if _, err := w.sock.SendBytes(f, flag); err != nil {
			if i > 0 {
				// Later frames of a multipart message do not block in
				// libzmq; if one fails the socket is broken.
				w.recreate()
			}
			return err
		}
	}
	return nil
}

func (w *Writer) recreate() {
	w.sock.Close()
	for {
		sock, err := w.open()
		if err == nil {
			w.sock = sock
			return
		}
		w.logger.Error("savant socket cannot be recreated; retrying", "error", err)
		select {
		case <-w.abort:
			return
		case <-time.After(time.Second):
		}
	}
}
