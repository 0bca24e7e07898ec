package testharness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// TURNServer is a Debian coturn (turnserver) on 127.0.0.1 in TURN REST
// mode (--use-auth-secret), stopped when the test ends.
type TURNServer struct {
	// Addr is its UDP address, 127.0.0.1:PORT.
	Addr string
	// Secret is its static auth secret.
	Secret string

	out *LockedBuffer
}

// Logs is what turnserver printed.
func (s *TURNServer) Logs() string { return s.out.String() }

// StartTURN starts coturn listening on an ephemeral UDP port of 127.0.0.1
// (a free port is picked and the start retried on a collision), relaying on
// 127.0.0.1 only, with secret as its shared secret; it returns once the
// server answers a STUN binding request. Without coturn the test fails under
// CI=true and is skipped otherwise.
func StartTURN(t testing.TB, secret string) *TURNServer {
	t.Helper()
	RequirePeer(t, "turnserver", "coturn")
	var lastErr error
	for range 5 {
		s, err := startTURN(t, FreeUDPPort(t), secret)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("testharness: coturn did not start: %v", lastErr)
	return nil
}

func startTURN(t testing.TB, port int, secret string) (*TURNServer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	lw := &LockedBuffer{}
	cmd := exec.CommandContext(ctx, "turnserver", "-n", "--log-file=stdout", "--simple-log",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--no-tls", "--no-dtls", "--no-cli", "--no-tcp-relay", "--no-rfc5780", "--no-software-attribute",
		"--allow-loopback-peers", "--fingerprint", "--realm=streamgate.test",
		"--use-auth-secret", "--static-auth-secret="+secret,
		"--min-port=40000", "--max-port=60000", "--pidfile=/dev/null")
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.Env = childEnv(nil)
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		cancel()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			cancel()
			return nil, fmt.Errorf("turnserver exited: %s", tail(lw.String(), 10))
		default:
		}
		if stunAnswers(addr) {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("turnserver did not answer STUN within 10 s: " + tail(lw.String(), 10))
		}
	}
	t.Cleanup(stop)
	return &TURNServer{Addr: addr, Secret: secret, out: lw}, nil
}

// stunAnswers sends one binding request and waits 200 ms for the answer.
func stunAnswers(addr string) bool {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	msg := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
	if _, err := c.Write(msg.Raw); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		return false
	}
	return stun.IsMessage(buf[:n])
}
