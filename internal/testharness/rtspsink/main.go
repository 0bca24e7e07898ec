// Command rtspsink opens many RTSP readers of one stream and discards what
// they receive, as cheaply as a reader can be: one connection each, RTP over
// the RTSP connection (interleaved TCP), no RTP parsing, no RTCP, one read
// into a 16 KiB buffer per wake-up. The reader-cost benchmark runs it as a
// process of its own, so that the daemon's CPU is measured apart from its
// readers' and the readers cost the machine little.
//
// Usage: rtspsink -url rtsp://USER:PASS@HOST:PORT/PATH -n READERS
//
// Each reader sends OPTIONS in its session every -keepalive (5 s), as RTSP
// clients do to stay under the server's idle timeout.
//
// It prints "playing N" once every reader is playing (or "error: …" and
// exits 1), then answers each line read on standard input with
// "bytes B starved S alive A": the bytes received by all readers so far,
// how many readers have received nothing, how many connections are still
// open. It exits when standard input closes.
package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	rawURL := flag.String("url", "", "rtsp://USER:PASS@HOST:PORT/PATH of the stream")
	n := flag.Int("n", 1, "readers")
	parallel := flag.Int("parallel", 32, "readers set up at once")
	keepalive := flag.Duration("keepalive", 5*time.Second, "OPTIONS keepalive interval (under the server's idle timeout)")
	flag.Parse()
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "rtsp" {
		fail(fmt.Errorf("-url %q: want rtsp://USER:PASS@HOST:PORT/PATH", *rawURL))
	}

	readers := make([]*reader, *n)
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	var setupErr atomic.Value
	for i := range readers {
		readers[i] = &reader{}
		wg.Add(1)
		sem <- struct{}{}
		go func(r *reader) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.start(u); err != nil {
				setupErr.CompareAndSwap(nil, err)
			}
		}(readers[i])
	}
	wg.Wait()
	if err, _ := setupErr.Load().(error); err != nil {
		fail(err)
	}
	for i, r := range readers {
		go r.discard()
		// Spread over the interval, not all at once.
		go r.keepAlive(*keepalive, time.Duration(i)*(*keepalive)/time.Duration(len(readers)))
	}
	fmt.Printf("playing %d\n", len(readers))

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var total int64
		starved, alive := 0, 0
		for _, r := range readers {
			b := r.bytes.Load()
			total += b
			if b == 0 {
				starved++
			}
			if !r.closed.Load() {
				alive++
			}
		}
		fmt.Printf("bytes %d starved %d alive %d\n", total, starved, alive)
	}
}

func fail(err error) {
	fmt.Printf("error: %v\n", err)
	os.Exit(1)
}

// reader is one RTSP session playing over its own connection.
type reader struct {
	conn    net.Conn
	br      *bufio.Reader
	cseq    int
	auth    string
	base    string // the session's URL
	session string
	bytes   atomic.Int64
	closed  atomic.Bool
}

// start connects, DESCRIBEs, SETUPs the first video medium for interleaved
// TCP and PLAYs.
func (r *reader) start(u *url.URL) error {
	if u.User != nil {
		pass, _ := u.User.Password()
		r.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
	}
	plain := *u
	plain.User = nil
	c, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return err
	}
	r.conn, r.br = c, bufio.NewReaderSize(c, 4<<10)
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))

	h, body, err := r.request("DESCRIBE", plain.String(), "Accept: application/sdp\r\n")
	if err != nil {
		return err
	}
	base := h["content-base"]
	if base == "" {
		base = plain.String() + "/"
	}
	control := ""
	inVideo := false
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "m=") {
			inVideo = strings.HasPrefix(l, "m=video")
		}
		if v, ok := strings.CutPrefix(l, "a=control:"); ok && inVideo && control == "" {
			control = v
		}
	}
	if control == "" {
		return errors.New("DESCRIBE: no video medium with a=control")
	}
	if !strings.HasPrefix(control, "rtsp://") {
		control = strings.TrimSuffix(base, "/") + "/" + control
	}
	h, _, err = r.request("SETUP", control, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n")
	if err != nil {
		return err
	}
	session, _, _ := strings.Cut(h["session"], ";")
	if session == "" {
		return errors.New("SETUP: no Session header")
	}
	if _, _, err := r.request("PLAY", base, "Session: "+session+"\r\n"); err != nil {
		return err
	}
	r.base, r.session = base, session
	_ = c.SetDeadline(time.Time{})
	return nil
}

// request sends one RTSP request and reads its answer, which must be 200;
// it returns the headers (lower-case names) and the body.
func (r *reader) request(method, target, headers string) (map[string]string, string, error) {
	r.cseq++
	req := method + " " + target + " RTSP/1.0\r\nCSeq: " + strconv.Itoa(r.cseq) + "\r\n" + headers
	if r.auth != "" {
		req += "Authorization: " + r.auth + "\r\n"
	}
	if _, err := r.conn.Write([]byte(req + "User-Agent: rtspsink\r\n\r\n")); err != nil {
		return nil, "", err
	}
	status, err := r.br.ReadString('\n')
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", method, err)
	}
	h := map[string]string{}
	for {
		l, err := r.br.ReadString('\n')
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", method, err)
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	var body []byte
	if n, _ := strconv.Atoi(h["content-length"]); n > 0 {
		body = make([]byte, n)
		if _, err := io.ReadFull(r.br, body); err != nil {
			return nil, "", fmt.Errorf("%s body: %w", method, err)
		}
	}
	if f := strings.Fields(status); len(f) < 2 || f[1] != "200" {
		return nil, "", fmt.Errorf("%s: %s", method, strings.TrimSpace(status))
	}
	return h, string(body), nil
}

// keepAlive sends OPTIONS in the session every interval (after a first
// wait of offset), as RTSP clients do: the server ends a session silent for
// its idle timeout. The answers are read and dropped by discard.
func (r *reader) keepAlive(interval, offset time.Duration) {
	time.Sleep(offset)
	t := time.NewTicker(interval)
	defer t.Stop()
	for ; !r.closed.Load(); <-t.C {
		r.cseq++
		req := "OPTIONS " + r.base + " RTSP/1.0\r\nCSeq: " + strconv.Itoa(r.cseq) + "\r\nSession: " + r.session + "\r\n"
		if r.auth != "" {
			req += "Authorization: " + r.auth + "\r\n"
		}
		if _, err := r.conn.Write([]byte(req + "\r\n")); err != nil {
			return
		}
	}
}

// discard reads and drops everything the connection carries, counting
// bytes, until it closes.
func (r *reader) discard() {
	buf := make([]byte, 16<<10)
	for {
		n, err := r.br.Read(buf)
		r.bytes.Add(int64(n))
		if err != nil {
			r.closed.Store(true)
			return
		}
	}
}
