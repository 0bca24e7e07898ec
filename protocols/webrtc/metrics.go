package webrtc

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the WebRTC listener's counters.
type metrics struct {
	sessions prometheus.Gauge
	dropped  prometheus.Counter
}

// newMetrics creates the counters and registers them with reg (nil: not
// registered). A server created again on the same registry (a reload)
// takes over the counters already there.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_webrtc_sessions",
			Help: "WHEP sessions reading a path."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_webrtc_units_dropped_total",
			Help: "Units dropped because a WebRTC session's queue was full."}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.sessions, err = register(reg, m.sessions); err != nil {
		return nil, err
	}
	if m.dropped, err = register(reg, m.dropped); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector of the same kind already
// registered under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
