package source

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the pulled sources' counters, shared by every source.
type Metrics struct {
	errors    *prometheus.CounterVec
	connected *prometheus.GaugeVec
}

// NewMetrics registers the sources' metrics with reg (again with the same
// registry: the same collectors).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_source_errors_total",
			Help: "Pulled sources that failed to connect or were lost (then retried), by kind (rtsp, rtmp, srt, hls, udp, whep)."}, []string{"kind"}),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamgate_source_ready",
			Help: "Pulled sources publishing now, by kind."}, []string{"kind"}),
	}
	for _, k := range kinds {
		m.errors.WithLabelValues(k)
		m.connected.WithLabelValues(k)
	}
	m.errors = promreg.MustRegister(reg, m.errors)
	m.connected = promreg.MustRegister(reg, m.connected)
	return m
}
