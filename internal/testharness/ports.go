package testharness

import (
	"io"
	"net"
	"testing"
)

// FreePort is a TCP port on 127.0.0.1 nobody listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	return closedPort(t, l, err)
}

// FreeUDPPort is a UDP port of 127.0.0.1 free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	return closedPort(t, c, err)
}

// closedPort closes c, a listener or packet connection FreePort or
// FreeUDPPort opened (err: why it could not), and returns its port.
func closedPort(t testing.TB, c io.Closer, err error) int {
	t.Helper()
	if err != nil {
		t.Fatalf("testharness: free port: %v", err)
	}
	defer c.Close()
	switch c := c.(type) {
	case net.Listener:
		return c.Addr().(*net.TCPAddr).Port
	case net.PacketConn:
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	t.Fatalf("testharness: free port: %T has no port", c)
	return 0
}
