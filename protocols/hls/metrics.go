package hls

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// metrics are the HLS server's counters.
type metrics struct {
	muxers   prometheus.Gauge
	requests *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		muxers: promreg.Gauge(reg, "streamgate_hls_muxers", "Running HLS muxers."),
		requests: promreg.CounterVec(reg, "streamgate_hls_requests_total",
			"HLS requests by outcome: served, refused (authentication), not_found, error.", "outcome"),
	}
	for _, o := range []string{"served", "refused", "not_found", "error"} {
		m.requests.WithLabelValues(o)
	}
	return m
}
