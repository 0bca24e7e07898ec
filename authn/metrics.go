package authn

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus collectors. Label values are fixed
// sets (backend, action, protocol, result); never user names or paths.
type Metrics struct {
	decisions     *prometheus.CounterVec
	quarantined   *prometheus.CounterVec
	cache         *prometheus.CounterVec
	argon2Runs    prometheus.Counter
	argon2Seconds prometheus.Histogram
	tokens        *prometheus.CounterVec
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
			Help: "Requests refused without a password check because the user name or the client address is quarantined.",
		}, []string{"scope"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_auth_cache_requests_total",
			Help: "Decision cache lookups by result (hit, miss).",
		}, []string{"result"}),
		argon2Runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_auth_argon2_verifications_total",
			Help: "argon2 password verifications run (real and fake).",
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
		reg.MustRegister(m.decisions, m.quarantined, m.cache, m.argon2Runs, m.argon2Seconds, m.tokens)
	}
	return m
}
