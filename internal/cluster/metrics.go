package cluster

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// metrics are the cluster's counters.
type metrics struct {
	up        prometheus.Gauge
	etcdErrs  prometheus.Counter
	relays    prometheus.Counter
	refused   prometheus.Counter
	takenOver prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_cluster_registry_up",
			Help: "1 while this instance holds its etcd lease and watches the cluster registry, else 0."}),
		etcdErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_cluster_etcd_errors_total",
			Help: "Cluster registry operations on etcd that failed (lease, watch, path claims)."}),
		relays: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_cluster_relays_total",
			Help: "On-demand relays of a peer's stream started for this instance's readers."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_cluster_refused_total",
			Help: "Publishers refused because another instance publishes the path, and remote reads refused while the registry is unreachable."}),
		takenOver: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_cluster_taken_over_total",
			Help: "Local publishers ended because another instance took their path over (overridePublisher)."}),
	}
	if reg != nil {
		m.up = promreg.MustRegister(reg, m.up)
		m.etcdErrs = promreg.MustRegister(reg, m.etcdErrs)
		m.relays = promreg.MustRegister(reg, m.relays)
		m.refused = promreg.MustRegister(reg, m.refused)
		m.takenOver = promreg.MustRegister(reg, m.takenOver)
	}
	return m
}
