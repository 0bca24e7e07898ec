package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the gateway's body-budget counters. A nil *Metrics counts
// nothing.
type Metrics struct {
	inFlight prometheus.Gauge
	busy     prometheus.Counter
}

// NewMetrics creates the counters and registers them with reg (nil: not
// registered); called again on the same registry (the listener restarted by
// a reload) it takes over the counters already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_gateway_body_bytes_in_flight",
			Help: "Bytes of buffer the gateway's request bodies hold now (gatewayMaxBodiesInFlight bounds it)."}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_gateway_body_budget_refusals_total",
			Help: "Gateway requests answered 503 because the bodies in flight held gatewayMaxBodiesInFlight."}),
	}
	m.inFlight = promreg.MustRegister(reg, m.inFlight)
	m.busy = promreg.MustRegister(reg, m.busy)
	return m
}

func (m *Metrics) held(delta int64) {
	if m != nil {
		m.inFlight.Add(float64(delta))
	}
}

func (m *Metrics) refused() {
	if m != nil {
		m.busy.Inc()
	}
}
