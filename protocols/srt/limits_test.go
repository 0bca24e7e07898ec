package srt

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/netlimit"
)

// TestSRTConnectionLimits: a caller past maxConnectionsPerIP is rejected
// with REJX_OVERLOAD (counted), and gets in once a slot is free.
func TestSRTConnectionLimits(t *testing.T) {
	limits := netlimit.New(prometheus.NewRegistry(), nil)
	limits.Set(0, 1)
	f := newFixture(t, func(c *Config) { c.Limits = limits })
	first, err := f.dial("publish:cam:pub:pubpass", "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.dial("publish:other:pub:pubpass", ""); err == nil {
		c.Close()
		t.Fatal("a second caller from 127.0.0.1 was accepted past maxConnectionsPerIP: 1")
	}
	f.rejected(t, RejectOverload, 1)
	first.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := f.dial("publish:other:pub:pubpass", "")
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the first caller left: %v", err)
		}
	}
}
