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
		errors: promreg.CounterVec(reg, "streamgate_source_errors_total",
			"Pulled sources that failed to connect or were lost (then retried), by kind (rtsp, rtmp, srt, hls, udp, whep).", "kind"),
		connected: promreg.GaugeVec(reg, "streamgate_source_ready", "Pulled sources publishing now, by kind.", "kind"),
	}
	for _, k := range kinds {
		m.errors.WithLabelValues(k)
		m.connected.WithLabelValues(k)
	}
	return m
}
