package webrtc

import (
	"testing"
	"time"
)

// The handshake wait ends at the first of: ICE and DTLS up, the timeout,
// the publication gone, the session stopped; each but the first stops the
// session with its reason (a stop before the wait keeps its own).
func TestLifecycleHandshake(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	for _, tc := range []struct {
		name    string
		prepare func(l *lifecycle)
		timeout time.Duration
		gone    <-chan struct{}
		want    bool
		reason  string
	}{
		{name: "connected", prepare: func(l *lifecycle) { close(l.connected) }, timeout: time.Hour, want: true},
		{name: "timed out", timeout: time.Millisecond, reason: "ICE/DTLS handshake timed out"},
		{name: "publisher left", timeout: time.Hour, gone: closed, reason: "publisher left"},
		{name: "stopped", prepare: func(l *lifecycle) { l.stop("server closed") }, timeout: time.Hour, reason: "server closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLifecycle("cam")
			if tc.prepare != nil {
				tc.prepare(l)
			}
			if got := l.handshake(tc.timeout, tc.gone); got != tc.want {
				t.Fatalf("handshake = %v, want %v", got, tc.want)
			}
			if l.reason != tc.reason {
				t.Errorf("reason %q, want %q", l.reason, tc.reason)
			}
		})
	}
}
