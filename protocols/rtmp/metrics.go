package rtmp

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the RTMP listeners' counters, shared by rtmp and rtmps.
type Metrics struct {
	dropped          prometheus.Counter
	sessions         *prometheus.GaugeVec
	chunkSizeRefused prometheus.Counter
	messagesRefused  prometheus.Counter
}

// NewMetrics creates the counters and registers them with reg (nil: not
// registered); called again on the same registry (a listener restarted by
// a reload) it takes over the counters already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		dropped: promreg.Counter(reg, "streamgate_rtmp_units_dropped_total",
			"Units dropped because an RTMP reader's queue was full."),
		sessions: promreg.GaugeVec(reg, "streamgate_rtmp_sessions",
			"RTMP connections publishing or reading, by action.", "action"),
		chunkSizeRefused: promreg.Counter(reg, "streamgate_rtmp_chunk_size_refused_total",
			"RTMP connections closed for setting a chunk size under 128 bytes, or over 64 KiB before authentication."),
		messagesRefused: promreg.Counter(reg, "streamgate_rtmp_messages_refused_total",
			"RTMP connections closed for a message not decoded: audio or video before authentication, "+
				"an AMF0 command or data, video configuration or metadata over 64 KiB."),
	}
	m.sessions.WithLabelValues("publish")
	m.sessions.WithLabelValues("read")
	return m
}
