package authn

import (
	"github.com/prometheus/client_golang/prometheus"
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
	if reg != nil {
		reg.MustRegister(m.decisions, m.quarantined, m.quarantines, m.untracked, m.cache, m.argon2Runs, m.argon2Running, m.argon2Seconds,
			m.argon2QueueFull, m.tokens)
	}
	return m
}
