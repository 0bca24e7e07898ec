package authn

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the pipeline's Prometheus collectors. Label values are fixed
// sets (backend, action, protocol, result); never user names or paths.
type Metrics struct {
	decisions       *prometheus.CounterVec
	quarantined     *prometheus.CounterVec
	quarantines     *prometheus.CounterVec
	untracked       prometheus.Counter
	cache           *prometheus.CounterVec
	argon2Runs      prometheus.Counter
	argon2Running   prometheus.Gauge
	argon2Seconds   prometheus.Histogram
	argon2QueueFull prometheus.Counter
	tokens          *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: promreg.CounterVec(reg, "streamgate_auth_decisions_total",
			"Authentication decisions by deciding backend, action, protocol and result.",
			"backend", "action", "protocol", "result"),
		quarantined: promreg.CounterVec(reg, "streamgate_auth_quarantined_total",
			"Login attempts refused without a password check by a quarantine, by scope: user_ip (the name from this address), user (the name from an address it has not logged in from recently), ip (the address).",
			"scope"),
		quarantines: promreg.CounterVec(reg, "streamgate_auth_quarantines_started_total",
			"Quarantines begun, by scope (user_ip, user, ip); each is also logged as \"quarantine started\".",
			"scope"),
		untracked: promreg.Counter(reg, "streamgate_auth_quarantine_untracked_total",
			"Failed logins a quarantine table could not count because it was full of live entries (authQuarantine.maxTracked)."),
		cache: promreg.CounterVec(reg, "streamgate_auth_cache_requests_total",
			"Decision cache lookups by result (hit, miss).", "result"),
		argon2Runs: promreg.Counter(reg, "streamgate_auth_argon2_verifications_total",
			"argon2 verifications of clients' passwords run (unknown names and quarantined clients cost none)."),
		argon2Running: promreg.Gauge(reg, "streamgate_auth_argon2_running",
			"argon2 verifications of clients' passwords running now (at most authArgon2Concurrency)."),
		argon2QueueFull: promreg.Counter(reg, "streamgate_auth_argon2_queue_full_total",
			"Logins refused without a check because their client address already had the most argon2 verifications waiting."),
		argon2Seconds: promreg.MustRegister(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamgate_auth_argon2_duration_seconds",
			Help:    "Time of one argon2 verification.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		})),
		tokens: promreg.CounterVec(reg, "streamgate_token_verifications_total",
			"URL token verifications by the secret that verified the signature (empty when none did) and result (ok, excluded, malformed, bad_signature, expired, not_yet_valid, ip, acl, action: an action the verification does not list).",
			"secret_id", "result"),
	}
	// Fixed label sets start at 0, so that the series exist before the
	// first event.
	for _, scope := range []Scope{ScopeUserIP, ScopeUser, ScopeIP} {
		m.quarantined.WithLabelValues(string(scope))
		m.quarantines.WithLabelValues(string(scope))
	}
	m.cache.WithLabelValues("hit")
	m.cache.WithLabelValues("miss")
	return m
}

// etcdMetrics are the etcd user store's counters.
type etcdMetrics struct {
	reconnects, updates, malformed prometheus.Counter
	loadSeconds                    prometheus.Gauge
}

func newEtcdMetrics(reg prometheus.Registerer) *etcdMetrics {
	// A reload that changes authEtcd makes a new store: it takes over the
	// counters.
	return &etcdMetrics{
		reconnects: promreg.Counter(reg, "streamgate_etcd_reconnects_total",
			"Times the etcd user store lost etcd and started reconnecting."),
		updates: promreg.Counter(reg, "streamgate_etcd_updates_total",
			"User record changes applied from the etcd watch."),
		malformed: promreg.Counter(reg, "streamgate_etcd_malformed_records_total",
			"Malformed etcd user records seen (each refuses its user only)."),
		loadSeconds: promreg.Gauge(reg, "streamgate_etcd_load_seconds",
			"Time of the last full load of the etcd prefix."),
	}
}

// newSessionMetrics creates the live sessions' gauge and re-check counter
// and registers them with reg (nil: not registered).
func newSessionMetrics(reg prometheus.Registerer) (prometheus.Gauge, *prometheus.CounterVec) {
	gauge := promreg.Gauge(reg, "streamgate_auth_live_sessions",
		"Live sessions (readers and publishers) that are re-checked after a reload or a user store change.")
	rechecks := promreg.CounterVec(reg, "streamgate_auth_session_rechecks_total",
		"Live sessions re-checked, by result: kept, ended (no longer allowed), unavailable (kept once: a backend could not answer or the budget ran out; asked again), unchecked (ended: two re-checks in a row could not answer).",
		"result")
	for _, r := range []string{"kept", "ended", "unavailable", "unchecked"} {
		rechecks.WithLabelValues(r)
	}
	return gauge, rechecks
}
