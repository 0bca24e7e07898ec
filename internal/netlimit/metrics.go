package netlimit

import "github.com/prometheus/client_golang/prometheus"

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
	if reg != nil {
		reg.MustRegister(m.refused, m.open, m.acceptErrors, m.accepting)
	}
	return m
}
