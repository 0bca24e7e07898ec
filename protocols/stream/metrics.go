package stream

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// metrics are the stream hub's counters.
type metrics struct {
	publishers prometheus.Gauge
	dropped    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		publishers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_stream_publishers", Help: "Paths with a publisher."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_stream_units_dropped_total",
			Help: "Units dropped because a consumer's queue was full, by consumer kind."}, []string{"sink"}),
	}
	m.publishers = promreg.MustRegister(reg, m.publishers)
	m.dropped = promreg.MustRegister(reg, m.dropped)
	return m
}
