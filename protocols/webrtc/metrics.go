package webrtc

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// metrics are the WebRTC listener's counters.
type metrics struct {
	sessions   prometheus.Gauge
	publishers prometheus.Gauge
	dropped    prometheus.Counter
	plis       prometheus.Counter
}

// newMetrics creates the counters and registers them with reg (nil: not
// registered). A server created again on the same registry (a reload)
// takes over the counters already there.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_webrtc_sessions",
			Help: "WHEP sessions reading a path."}),
		publishers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_webrtc_publishers",
			Help: "WHIP sessions publishing a path."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_webrtc_units_dropped_total",
			Help: "Units dropped because a WebRTC session's queue was full."}),
		plis: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_webrtc_keyframe_requests_total",
			Help: "Keyframe requests (RTCP PLI) sent to WHIP publishers."}),
	}
	m.sessions = promreg.MustRegister(reg, m.sessions)
	m.publishers = promreg.MustRegister(reg, m.publishers)
	m.dropped = promreg.MustRegister(reg, m.dropped)
	m.plis = promreg.MustRegister(reg, m.plis)
	return m
}
