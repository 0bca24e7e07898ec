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
	return &metrics{
		sessions:   promreg.Gauge(reg, "streamgate_webrtc_sessions", "WHEP sessions reading a path."),
		publishers: promreg.Gauge(reg, "streamgate_webrtc_publishers", "WHIP sessions publishing a path."),
		dropped: promreg.Counter(reg, "streamgate_webrtc_units_dropped_total",
			"Units dropped because a WebRTC session's queue was full."),
		plis: promreg.Counter(reg, "streamgate_webrtc_keyframe_requests_total",
			"Keyframe requests (RTCP PLI) sent to WHIP publishers."),
	}
}
