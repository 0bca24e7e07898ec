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
		muxers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_hls_muxers", Help: "Running HLS muxers."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_hls_requests_total",
			Help: "HLS requests by outcome: served, refused (authentication), not_found, error."}, []string{"outcome"}),
	}
	for _, o := range []string{"served", "refused", "not_found", "error"} {
		m.requests.WithLabelValues(o)
	}
	m.muxers = promreg.MustRegister(reg, m.muxers)
	m.requests = promreg.MustRegister(reg, m.requests)
	return m
}
