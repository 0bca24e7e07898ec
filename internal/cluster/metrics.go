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
	instances prometheus.Gauge
	paths     prometheus.Gauge
	running   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		up: promreg.Gauge(reg, "streamgate_cluster_registry_up",
			"1 while this instance holds its etcd lease and watches the cluster registry, else 0."),
		etcdErrs: promreg.Counter(reg, "streamgate_cluster_etcd_errors_total",
			"Cluster registry operations on etcd that failed (lease, watch, path claims)."),
		relays: promreg.Counter(reg, "streamgate_cluster_relays_total",
			"On-demand relays of a peer's stream started for this instance's readers."),
		refused: promreg.Counter(reg, "streamgate_cluster_refused_total",
			"Publishers refused because another instance publishes the path, and remote reads refused while the registry is unreachable."),
		takenOver: promreg.Counter(reg, "streamgate_cluster_taken_over_total",
			"Local publishers ended because another instance took their path over (overridePublisher)."),
		instances: promreg.Gauge(reg, "streamgate_cluster_instances",
			"Instances in this instance's view of the cluster registry, itself included."),
		paths: promreg.Gauge(reg, "streamgate_cluster_paths",
			"Paths published anywhere in the cluster, in this instance's view of the registry."),
		running: promreg.Gauge(reg, "streamgate_cluster_relays_running",
			"On-demand relays of a peer's stream running now on this instance."),
	}
}
