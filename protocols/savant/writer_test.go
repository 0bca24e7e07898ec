package savant_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

// freeTCP is a tcp:// endpoint on a port of 127.0.0.1 free a moment ago.
func freeTCP(t *testing.T) string {
	t.Helper()
	return "tcp://127.0.0.1:" + strconv.Itoa(testharness.FreePort(t))
}

func newWriter(t *testing.T, url string, tune func(*savant.Config)) *savant.Writer {
	t.Helper()
	u, err := savanturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg := savant.Config{URL: u, SendTimeout: 200 * time.Millisecond, SendRetries: 1, ReceiveTimeout: 200 * time.Millisecond,
		ReceiveRetries: 1, SendHWM: 1000, ReceiveHWM: 1000, FixIPCPermissions: 0o777, QueueSize: 16}
	if tune != nil {
		tune(&cfg)
	}
	w, err := savant.NewWriter(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	return w
}

func reader(t *testing.T, typ zmq.Type, endpoint string, bind bool) *zmq.Socket {
	t.Helper()
	s, err := zmq.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SetLinger(0)
	_ = s.SetRcvtimeo(5 * time.Second)
	if typ == zmq.SUB {
		_ = s.SetSubscribe("")
	}
	if bind {
		err = s.Bind(endpoint)
	} else {
		err = s.Connect(endpoint)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var msg = savant.Outgoing{Topic: []byte("cam1"), Message: []byte("\x0a\x061.15.1"), Extra: [][]byte{[]byte("frame-bytes")}}

func TestPubBindIPCDeliversFramesAndFixesPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "dir")
	endpoint := "ipc://" + filepath.Join(dir, "sock")
	w := newWriter(t, "pub+bind:"+endpoint, nil)
	st, err := os.Stat(filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatalf("socket file: %v", err)
	}
	if st.Mode().Perm() != 0o777 {
		t.Errorf("socket mode %v, want 0777", st.Mode().Perm())
	}
	sub := reader(t, zmq.SUB, endpoint, false)
	// PUB drops while the subscription propagates: send until one arrives.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := w.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		_ = sub.SetRcvtimeo(50 * time.Millisecond)
		frames, err := sub.RecvMessageBytes(0)
		if err != nil {
			continue
		}
		want := [][]byte{msg.Topic, msg.Message, msg.Extra[0]}
		if len(frames) != 3 || !bytes.Equal(frames[0], want[0]) || !bytes.Equal(frames[1], want[1]) || !bytes.Equal(frames[2], want[2]) {
			t.Fatalf("frames %q, want %q", frames, want)
		}
		return
	}
	t.Fatal("no message reached the subscriber")
}

func TestReqWaitsForOKAndRecoversAfterAckTimeout(t *testing.T) {
	endpoint := freeTCP(t)
	w := newWriter(t, "req+connect:"+endpoint, nil)

	// No reader at all: libzmq queues on the pending connection (send
	// timeout) or the reply never comes (ack timeout); either is refused.
	if err := w.Send(context.Background(), msg); !errors.Is(err, savant.ErrSendTimeout) && !errors.Is(err, savant.ErrAckTimeout) {
		t.Fatalf("no reader: %v, want ErrSendTimeout or ErrAckTimeout", err)
	}
	// A reader that never answers: acknowledgement timeout.
	silent := reader(t, zmq.REP, endpoint, true)
	if err := w.Send(context.Background(), msg); !errors.Is(err, savant.ErrAckTimeout) {
		t.Fatalf("silent reader: %v, want ErrAckTimeout", err)
	}
	// The same reader starts answering (its first reply goes to the old,
	// closed REQ socket and is dropped by libzmq).
	answer(t, silent, false, "OK")
	// The socket was recreated after the ack timeout; the next send succeeds.
	var err error
	for i := 0; i < 20; i++ {
		if err = w.Send(context.Background(), msg); err == nil {
			return
		}
	}
	t.Fatalf("reader back: %v", err)
}

func TestDealerWaitsOnlyForEndOfStream(t *testing.T) {
	endpoint := freeTCP(t)
	w := newWriter(t, "dealer+bind:"+endpoint, nil)
	router := reader(t, zmq.ROUTER, endpoint, false)
	time.Sleep(100 * time.Millisecond) // let the ROUTER connect
	if err := w.Send(context.Background(), msg); err != nil {
		t.Fatalf("frame: %v", err)
	}
	frames, err := router.RecvMessageBytes(0)
	if err != nil || len(frames) != 4 || string(frames[1]) != "cam1" {
		t.Fatalf("router got %q, %v", frames, err)
	}
	eos := msg
	eos.EndOfStream = true
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		f, err := router.RecvMessageBytes(0)
		if err == nil {
			_, _ = router.SendMessage(f[0], "OK")
		}
	}()
	if err := w.Send(context.Background(), eos); err != nil {
		t.Fatalf("end of stream: %v", err)
	}
	<-acked
}

func TestEnqueueDropsWhenFull(t *testing.T) {
	endpoint := freeTCP(t)
	w := newWriter(t, "req+connect:"+endpoint, func(c *savant.Config) { c.QueueSize = 1; c.SendTimeout = time.Second })
	full := false
	for i := 0; i < 10 && !full; i++ {
		full = errors.Is(w.Enqueue(msg), savant.ErrQueueFull)
	}
	if !full {
		t.Fatal("queue never reported full while the consumer stalls")
	}
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{"sub+bind:tcp://127.0.0.1:1", "pub+listen:tcp://127.0.0.1:1", "pub+bind:ipc://relative", "pub+bind:udp://x:1", "pub+connect:tcp://:1"} {
		if _, err := savanturl.Parse(u); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
}

// answer replies word to every message the socket receives until the test
// ends (a ROUTER reply is addressed to the sender's identity).
func answer(t *testing.T, s *zmq.Socket, router bool, word string) {
	t.Helper()
	_ = s.SetRcvtimeo(50 * time.Millisecond)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := s.RecvMessageBytes(0)
			switch {
			case err != nil:
			case router:
				_, _ = s.SendMessage(f[0], word)
			default:
				_, _ = s.Send(word, 0)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-stopped })
}

// savant-rs's writer takes any answer of a REP reader as the acknowledgement
// of an ordinary message and requires "OK" only for an EndOfStream.
func TestReqAcceptsAnyAnswerButOKForEndOfStream(t *testing.T) {
	endpoint := freeTCP(t)
	w := newWriter(t, "req+connect:"+endpoint, func(c *savant.Config) { c.ReceiveTimeout = 2 * time.Second })
	answer(t, reader(t, zmq.REP, endpoint, true), false, "NO")
	if err := w.Send(context.Background(), msg); err != nil {
		t.Fatalf("ordinary message answered NO: %v, want acknowledged", err)
	}
	eos := msg
	eos.EndOfStream = true
	if err := w.Send(context.Background(), eos); !errors.Is(err, savant.ErrNotAcknowledged) {
		t.Fatalf("end of stream answered NO: %v, want ErrNotAcknowledged", err)
	}
	// The REQ socket got its reply: the next send goes through.
	if err := w.Send(context.Background(), msg); err != nil {
		t.Fatalf("after a refused end of stream: %v", err)
	}
}

func TestDealerRefusesEndOfStreamAnsweredOtherwise(t *testing.T) {
	endpoint := freeTCP(t)
	w := newWriter(t, "dealer+connect:"+endpoint, func(c *savant.Config) { c.ReceiveTimeout = 2 * time.Second })
	answer(t, reader(t, zmq.ROUTER, endpoint, true), true, "NO")
	eos := msg
	eos.EndOfStream = true
	if err := w.Send(context.Background(), eos); !errors.Is(err, savant.ErrNotAcknowledged) {
		t.Fatalf("end of stream answered NO: %v, want ErrNotAcknowledged", err)
	}
}
