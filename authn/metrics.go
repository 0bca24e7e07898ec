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
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_auth_decisions_total",
			Help: "Authentication decisions by deciding backend, action, protocol and result.",
		}, []string{"backend", "action", "protocol", "result"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_auth_quarantined_total",
			Help: "Login attempts refused without a password check by a quarantine, by scope: user_ip (the name from this address), user (the name from an address it has not logged in from recently), ip (the address).",
		}, []string{"scope"}),
		quarantines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_auth_quarantines_started_total",
			Help: "Quarantines begun, by scope (user_ip, user, ip); each is also logged as \"quarantine started\".",
		}, []string{"scope"}),
		untracked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_auth_quarantine_untracked_total",
			Help: "Failed logins a quarantine table could not count because it was full of live entries (authQuarantine.maxTracked).",
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_auth_cache_requests_total",
			Help: "Decision cache lookups by result (hit, miss).",
		}, []string{"result"}),
		argon2Runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_auth_argon2_verifications_total",
			Help: "argon2 verifications of clients' passwords run (unknown names and quarantined clients cost none).",
		}),
		argon2Running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "streamgate_auth_argon2_running",
			Help: "argon2 verifications of clients' passwords running now (at most authArgon2Concurrency).",
		}),
		argon2QueueFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_auth_argon2_queue_full_total",
			Help: "Logins refused without a check because their client address already had the most argon2 verifications waiting.",
		}),
		argon2Seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamgate_auth_argon2_duration_seconds",
			Help:    "Time of one argon2 verification.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_token_verifications_total",
			Help: "URL token verifications by the secret that verified the signature (empty when none did) and result (ok, excluded, malformed, bad_signature, expired, not_yet_valid, ip, acl, action: an action the verification does not list).",
		}, []string{"secret_id", "result"}),
	}
	// Fixed label sets start at 0, so that the series exist before the
	// first event.
	for _, scope := range []Scope{ScopeUserIP, ScopeUser, ScopeIP} {
		m.quarantined.WithLabelValues(string(scope))
		m.quarantines.WithLabelValues(string(scope))
	}
	m.cache.WithLabelValues("hit")
	m.cache.WithLabelValues("miss")
	m.decisions = promreg.MustRegister(reg, m.decisions)
	m.quarantined = promreg.MustRegister(reg, m.quarantined)
	m.quarantines = promreg.MustRegister(reg, m.quarantines)
	m.untracked = promreg.MustRegister(reg, m.untracked)
	m.cache = promreg.MustRegister(reg, m.cache)
	m.argon2Runs = promreg.MustRegister(reg, m.argon2Runs)
	m.argon2Running = promreg.MustRegister(reg, m.argon2Running)
	m.argon2Seconds = promreg.MustRegister(reg, m.argon2Seconds)
	m.argon2QueueFull = promreg.MustRegister(reg, m.argon2QueueFull)
	m.tokens = promreg.MustRegister(reg, m.tokens)
	return m
}

// etcdMetrics are the etcd user store's counters.
type etcdMetrics struct {
	reconnects, updates, malformed prometheus.Counter
	loadSeconds                    prometheus.Gauge
}

func newEtcdMetrics(reg prometheus.Registerer) *etcdMetrics {
	m := &etcdMetrics{
		reconnects:  prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_etcd_reconnects_total", Help: "Times the etcd user store lost etcd and started reconnecting."}),
		updates:     prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_etcd_updates_total", Help: "User record changes applied from the etcd watch."}),
		malformed:   prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_etcd_malformed_records_total", Help: "Malformed etcd user records seen (each refuses its user only)."}),
		loadSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_etcd_load_seconds", Help: "Time of the last full load of the etcd prefix."}),
	}
	// A reload that changes authEtcd makes a new store: it takes over the
	// counters.
	m.reconnects = promreg.MustRegister(reg, m.reconnects)
	m.updates = promreg.MustRegister(reg, m.updates)
	m.malformed = promreg.MustRegister(reg, m.malformed)
	m.loadSeconds = promreg.MustRegister(reg, m.loadSeconds)
	return m
}

// newSessionMetrics creates the live sessions' gauge and re-check counter
// and registers them with reg (nil: not registered).
func newSessionMetrics(reg prometheus.Registerer) (prometheus.Gauge, *prometheus.CounterVec) {
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_auth_live_sessions",
		Help: "Live sessions (readers and publishers) that are re-checked after a reload or a user store change."})
	rechecks := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_auth_session_rechecks_total",
		Help: "Live sessions re-checked, by result: kept, ended (no longer allowed), unavailable (kept once: a backend could not answer or the budget ran out; asked again), unchecked (ended: two re-checks in a row could not answer)."},
		[]string{"result"})
	for _, r := range []string{"kept", "ended", "unavailable", "unchecked"} {
		rechecks.WithLabelValues(r)
	}
	return promreg.MustRegister(reg, gauge), promreg.MustRegister(reg, rechecks)
}
