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
	m := &metrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_connections_refused_total",
			Help: "Connections refused with the protocol's busy answer: over maxConnections or maxConnectionsPerIP."},
			[]string{"listener", "reason"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamgate_connections_open",
			Help: "Connections open now, counted against maxConnections."}, []string{"listener"}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_listener_accept_errors_total",
			Help: "Failed accepts (out of file descriptors, aborted connections…); the listener backs off and retries."},
			[]string{"listener"}),
		accepting: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamgate_listener_accepting",
			Help: "1 while the listener accepts connections, 0 while its accepts fail (/ready answers 503)."},
			[]string{"listener"}),
	}
	m.refused = promreg.MustRegister(reg, m.refused)
	m.open = promreg.MustRegister(reg, m.open)
	m.acceptErrors = promreg.MustRegister(reg, m.acceptErrors)
	m.accepting = promreg.MustRegister(reg, m.accepting)
	return m
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
