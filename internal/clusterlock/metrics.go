package clusterlock

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/promreg"
)

type metrics struct {
	flushes       prometheus.Counter
	flushFailures prometheus.Counter
	written       prometheus.Counter
	leases        prometheus.Counter
	dropped       prometheus.Counter
	malformed     prometheus.Counter
	peerUntracked prometheus.Counter
	peerStarted   *prometheus.CounterVec
	shared        prometheus.Gauge
	kicks         *prometheus.CounterVec
	kicked        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	c := func(name, help string) prometheus.Counter { return promreg.Counter(reg, name, help) }
	m := &metrics{
		flushes: c("streamgate_cluster_quarantine_flushes_total",
			"Transactions that wrote this instance's failed-login counts to etcd (one per quarantineInterval with new counts; more when a batch exceeds 128 keys)."),
		flushFailures: c("streamgate_cluster_quarantine_flush_failures_total",
			"Flushes of failed-login counts etcd did not take (the counts wait for the next)."),
		written: c("streamgate_cluster_quarantine_records_written_total",
			"Quarantine records (one per counted key) written to etcd."),
		leases: c("streamgate_cluster_quarantine_leases_total",
			"etcd leases granted for quarantine records (one per quarter period at most)."),
		dropped: c("streamgate_cluster_quarantine_dropped_total",
			"Counts not shared because the keys waiting for a flush were at their bound (they still count locally)."),
		malformed: c("streamgate_cluster_quarantine_malformed_total",
			"Malformed quarantine or kick records read from etcd and ignored."),
		peerUntracked: c("streamgate_cluster_quarantine_peer_untracked_total",
			"Peers' records ignored because the keys held were at their bound."),
		peerStarted: promreg.CounterVec(reg, "streamgate_cluster_quarantine_peer_started_total",
			"Quarantines begun here from the sum of this instance's and peers' counts, by scope (user_ip, user, ip).",
			"scope"),
		shared: promreg.Gauge(reg, "streamgate_cluster_quarantine_shared",
			"1 while the last flush of failed-login counts (with nothing to flush: the connection) reached etcd; 0 while the quarantine counts locally (etcd unreachable)."),
		kicks: promreg.CounterVec(reg, "streamgate_cluster_kicks_total",
			"Cluster-wide kicks sent from here (POST /v3/cluster/kick) and received from peers.",
			"direction"),
		kicked: c("streamgate_cluster_kick_sessions_ended_total",
			"Sessions ended here by kicks received from peers."),
	}
	for _, s := range []authn.Scope{authn.ScopeUserIP, authn.ScopeUser, authn.ScopeIP} {
		m.peerStarted.WithLabelValues(string(s))
	}
	m.kicks.WithLabelValues("sent")
	m.kicks.WithLabelValues("received")
	return m
}
