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
}

// NewMetrics creates the counters and registers them with reg (nil: not
// registered); called again on the same registry (a listener restarted by
// a reload) it takes over the counters already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_rtmp_units_dropped_total",
			Help: "Units dropped because an RTMP reader's queue was full."}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamgate_rtmp_sessions",
			Help: "RTMP connections publishing or reading, by action."}, []string{"action"}),
		chunkSizeRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_rtmp_chunk_size_refused_total",
			Help: "RTMP connections closed for setting a chunk size over 64 KiB before authentication."}),
	}
	m.sessions.WithLabelValues("publish")
	m.sessions.WithLabelValues("read")
	m.dropped = promreg.MustRegister(reg, m.dropped)
	m.sessions = promreg.MustRegister(reg, m.sessions)
	m.chunkSizeRefused = promreg.MustRegister(reg, m.chunkSizeRefused)
	return m
}
