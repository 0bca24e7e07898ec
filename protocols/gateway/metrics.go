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

// peerMetrics count the client-certificate checks of Peers.
type peerMetrics struct {
	refused      *prometheus.CounterVec
	reloads      prometheus.Counter
	reloadErrors prometheus.Counter
}

func newPeerMetrics(reg prometheus.Registerer) *peerMetrics {
	return &peerMetrics{
		refused: promreg.MustRegister(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_cert_refusals_total",
			Help: "Gateway TLS handshakes refused for the client certificate, by reason (untrusted, revoked, no_crl, crl_expired).",
		}, []string{"reason"})),
		reloads: promreg.MustRegister(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_ca_reloads_total",
			Help: "Re-readings of gatewayClientCA (CAs and CRLs) after its files changed.",
		})),
		reloadErrors: promreg.MustRegister(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_ca_reload_errors_total",
			Help: "Re-readings of gatewayClientCA that failed (the previous CAs and CRLs stay).",
		})),
	}
}
