package testharness

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
)

// SubCounter is a Go SUB socket (pebbe/zmq4) that counts the bytes of the
// last frame (the data) of every message it receives: the reading end of the
// Savant throughput benchmarks.
type SubCounter struct {
	received   atomic.Int64
	quit, done chan struct{}
}

// CountSub connects a SUB to endpoint, subscribed to everything, and waits
// for the subscription to reach the publisher. Stop it with Stop.
func CountSub(tb testing.TB, endpoint string) *SubCounter {
	tb.Helper()
	sub, err := zmq.NewSocket(zmq.SUB)
	if err != nil {
		tb.Fatal(err)
	}
	_ = sub.SetSubscribe("")
	_ = sub.SetRcvhwm(100000)
	_ = sub.SetRcvtimeo(50 * time.Millisecond)
	if err := sub.Connect(endpoint); err != nil {
		sub.Close()
		tb.Fatal(err)
	}
	c := &SubCounter{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer sub.Close()
		for {
			select {
			case <-c.quit:
				return
			default:
			}
			frames, err := sub.RecvMessageBytes(0)
			if err == nil {
				c.received.Add(int64(len(frames[len(frames)-1])))
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // subscription propagation
	return c
}

// Received is the byte count so far.
func (c *SubCounter) Received() int64 { return c.received.Load() }

// Drain waits until want bytes have arrived, or for a pause of 50 ms in
// which nothing arrived (what a PUB dropped never comes).
func (c *SubCounter) Drain(want int64) {
	last := c.Received()
	for last < want {
		time.Sleep(50 * time.Millisecond)
		now := c.Received()
		if now == last {
			return
		}
		last = now
	}
}

// Stop closes the socket.
func (c *SubCounter) Stop() {
	close(c.quit)
	<-c.done
}

// RawPubSub is the baseline of the Savant throughput benchmarks: a PUB bound
// on a fresh ipc endpoint sends [topic, 200-byte message, data] while more()
// says so, to a CountSub; it returns the MB/s the SUB received (after a
// Drain) and the share of the data sent that arrived, in %. Flooding (nodrop false), the publisher
// sends without waiting and the PUB drops what the SUB does not take; with
// nodrop (ZMQ_XPUB_NODROP, blocking sends) the publisher waits at the
// high-water mark and everything is delivered. Call the C heap tuning the
// daemon uses (savant.TuneMalloc) first, for a like-for-like comparison.
func RawPubSub(tb testing.TB, nodrop bool, data []byte, more func() bool) (mbps, deliveredPct float64) {
	tb.Helper()
	ep := IPCEndpoint(tb, "raw")
	pub, err := zmq.NewSocket(zmq.PUB)
	if err != nil {
		tb.Fatal(err)
	}
	defer pub.Close()
	_ = pub.SetSndhwm(1000)
	flag := zmq.DONTWAIT
	if nodrop {
		_ = pub.SetXpubNodrop(true)
		flag = 0
	}
	if err := pub.Bind(ep); err != nil {
		tb.Fatal(err)
	}
	sub := CountSub(tb, ep)
	defer sub.Stop()
	topic, msg := []byte("cam"), bytes.Repeat([]byte{1}, 200)
	var sent int64
	start := time.Now()
	for more() {
		_, _ = pub.SendBytes(topic, zmq.SNDMORE|flag)
		_, _ = pub.SendBytes(msg, zmq.SNDMORE|flag)
		if _, err := pub.SendBytes(data, flag); err == nil {
			sent += int64(len(data))
		}
	}
	sub.Drain(sent)
	got := float64(sub.Received())
	return got / time.Since(start).Seconds() / 1e6, 100 * got / float64(max(1, sent))
}

// EncodeRequest is the bytes of one keep-alive POST of body to url with
// Basic credentials, for PostLoop.
func EncodeRequest(tb testing.TB, url, contentType string, body []byte, user, pass string) []byte {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(user, pass)
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		tb.Fatal(err)
	}
	return wire.Bytes()
}

// PostLoop is a lean load client, like wrk: on one connection to addr it
// writes the pre-encoded request wire and reads the answer, while more()
// says so, and counts the 200 answers and the others. The benchmarks use it
// so that the clients' CPU, on the same cores as the server, goes to the
// transfer rather than to net/http's client.
func PostLoop(addr string, wire []byte, more func() bool) (ok, other int64, err error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for more() {
		if _, err := conn.Write(wire); err != nil {
			return ok, other, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return ok, other, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		} else {
			other++
		}
	}
	return ok, other, nil
}
