// Package savanturl parses Savant's ZeroMQ socket URLs
// ([pub|req|dealer+bind|connect:]ipc:///path or tcp://host:port). It is pure
// Go, so that configuration validation can use it without libzmq.
package savanturl

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// URL is a parsed Savant ZeroMQ socket URL:
// [pub|req|dealer+bind|connect:]ipc:///path or tcp://host:port.
type URL struct {
	// Type is the writer socket type: pub, req or dealer.
	Type string
	// Bind is true for +bind, false for +connect.
	Bind bool
	// Endpoint is the ZeroMQ endpoint: ipc:///path or tcp://host:port.
	Endpoint string
	// IPCPath is the socket file of an ipc endpoint.
	IPCPath string
}

// Parse parses a writer URL. Without a prefix a writer is dealer+bind,
// as in savant-rs.
func Parse(s string) (URL, error) {
	u := URL{Type: "dealer", Bind: true}
	rest := s
	if i := strings.Index(s, ":"); i > 0 && strings.Contains(s[:i], "+") {
		typ, mode, _ := strings.Cut(s[:i], "+")
		switch typ {
		case "pub", "req", "dealer":
			u.Type = typ
		case "sub", "rep", "router":
			return u, fmt.Errorf("socket type %q is a reader's; a writer is pub, req or dealer", typ)
		default:
			return u, fmt.Errorf("unknown socket type %q (want pub, req or dealer)", typ)
		}
		switch mode {
		case "bind":
			u.Bind = true
		case "connect":
			u.Bind = false
		default:
			return u, fmt.Errorf("unknown socket mode %q (want bind or connect)", mode)
		}
		rest = s[i+1:]
	}
	u.Endpoint = rest
	switch {
	case strings.HasPrefix(rest, "ipc://"):
		u.IPCPath = rest[len("ipc://"):]
		if !strings.HasPrefix(u.IPCPath, "/") || len(u.IPCPath) < 2 {
			return u, fmt.Errorf("ipc endpoint needs an absolute path: ipc:///path, got %q", rest)
		}
		if strings.ContainsRune(u.IPCPath, 0) {
			return u, fmt.Errorf("ipc path contains a NUL byte")
		}
	case strings.HasPrefix(rest, "tcp://"):
		host, port, err := net.SplitHostPort(rest[len("tcp://"):])
		if err != nil {
			return u, fmt.Errorf("tcp endpoint wants tcp://host:port, got %q", rest)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return u, fmt.Errorf("tcp port must be 1 to 65535, got %q", port)
		}
		if host == "" || (host == "*" && !u.Bind) {
			return u, fmt.Errorf("tcp endpoint needs a host to connect to, got %q", rest)
		}
	default:
		return u, fmt.Errorf("endpoint must start with ipc:// or tcp://, got %q", rest)
	}
	return u, nil
}
