package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// rtspTransports is enforced at SETUP: with [udp] a TCP client is answered
// 461 Unsupported Transport; with [udp, tcp] the same client publishes.
func TestRTSPTransportsEnforced(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		transports string
		ok         bool
	}{{"[udp]", false}, {"[udp, tcp]", true}} {
		t.Run(c.transports, func(t *testing.T) {
			var d *testharness.Daemon
			onUDPPair(t, func(port int) (err error) {
				d, err = testharness.TryStart(t, fmt.Sprintf(`
rtsp: yes
rtspTransports: %s
rtpAddress: 127.0.0.1:%d
rtcpAddress: 127.0.0.1:%d
authInternalUsers:
- {user: pub, pass: pub-secret-1, permissions: [{action: publish}]}
- {user: any, ips: [127.0.0.1], permissions: [{action: api}]}
paths:
  all_others:
`, c.transports, port, port+1))
				return err
			})
			err := rtspTryPublish(d, "pub", "pub-secret-1", "cam")
			switch {
			case c.ok && err != nil:
				t.Fatalf("TCP publisher refused with rtspTransports %s: %v", c.transports, err)
			case !c.ok && err == nil:
				t.Fatalf("TCP publisher accepted with rtspTransports %s", c.transports)
			case !c.ok && !strings.Contains(err.Error(), "461"):
				t.Fatalf("TCP publisher refused with %v, want 461 Unsupported Transport", err)
			}
		})
	}
}
