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
	return &metrics{
		publishers: promreg.Gauge(reg, "streamgate_stream_publishers", "Paths with a publisher."),
		dropped: promreg.CounterVec(reg, "streamgate_stream_units_dropped_total",
			"Units dropped because a consumer's queue was full, by consumer kind.", "sink"),
	}
}
