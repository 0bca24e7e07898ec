package source

import (
	"context"
	"fmt"
	"net"
	"net/url"
)

// runUDP listens for MPEG-TS over UDP at the URL's address (a multicast
// group is joined on every interface) and publishes it.
func runUDP(ctx context.Context, s *session) error {
	u, err := url.Parse(s.r.opts.URL)
	if err != nil {
		return err
	}
	addr, err := net.ResolveUDPAddr("udp", u.Host)
	if err != nil {
		return err
	}
	var conn *net.UDPConn
	if addr.IP.IsMulticast() {
		conn, err = net.ListenMulticastUDP("udp", nil, addr)
	} else {
		conn, err = net.ListenUDP("udp", addr)
	}
	if err != nil {
		return fmt.Errorf("source: listen on %s: %w", u.Host, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	return s.runTS(&deadlineReader{r: conn, set: conn.SetReadDeadline, timeout: s.r.opts.ReadTimeout})
}
