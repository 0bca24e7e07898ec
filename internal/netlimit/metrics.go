package netlimit

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

type metrics struct {
	refused      *prometheus.CounterVec
	open         *prometheus.GaugeVec
	acceptErrors *prometheus.CounterVec
	accepting    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		refused: promreg.CounterVec(reg, "streamgate_connections_refused_total",
			"Connections refused with the protocol's busy answer: over maxConnections or maxConnectionsPerIP.",
			"listener", "reason"),
		open: promreg.GaugeVec(reg, "streamgate_connections_open",
			"Connections open now, counted against maxConnections.", "listener"),
		acceptErrors: promreg.CounterVec(reg, "streamgate_listener_accept_errors_total",
			"Failed accepts (out of file descriptors, aborted connections…); the listener backs off and retries.",
			"listener"),
		accepting: promreg.GaugeVec(reg, "streamgate_listener_accepting",
			"1 while the listener accepts connections, 0 while its accepts fail (/ready answers 503).",
			"listener"),
	}
}

// listener creates listener's series, so that they are exported (at 0)
// from its start, before its first connection, refusal or failed accept.
func (m *metrics) listener(name string) {
	m.open.WithLabelValues(name)
	m.acceptErrors.WithLabelValues(name)
	for _, r := range []Reason{ReasonMaxConnections, ReasonMaxConnectionsPerIP} {
		m.refused.WithLabelValues(name, string(r))
	}
}
