package gateway

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the gateway's answer and body-budget counters. A nil
// *Metrics counts nothing.
type Metrics struct {
	inFlight prometheus.Gauge
	reading  prometheus.Gauge
	busy     prometheus.Counter
	answers  *prometheus.CounterVec
}

// answerCodes are the status codes the gateway answers, created at 0.
var answerCodes = []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
	http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// NewMetrics creates the counters and registers them with reg (nil: not
// registered); called again on the same registry (the listener restarted by
// a reload) it takes over the counters already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		inFlight: promreg.Gauge(reg, "streamgate_gateway_body_bytes_in_flight",
			"Bytes of buffer the gateway's request bodies hold now (gatewayMaxBodiesInFlight bounds it)."),
		reading: promreg.Gauge(reg, "streamgate_gateway_bodies_reading",
			"Gateway requests whose credentials were accepted and whose body is being read now (a producer stalled mid-body stays here until readTimeout)."),
		busy: promreg.Counter(reg, "streamgate_gateway_body_budget_refusals_total",
			"Gateway requests answered 503 because the bodies in flight held gatewayMaxBodiesInFlight."),
		answers: promreg.CounterVec(reg, "streamgate_gateway_answers_total",
			"Gateway requests answered, by HTTP status code (200: the message was handed to the Savant writer).",
			"code"),
	}
	for _, c := range answerCodes {
		m.answers.WithLabelValues(strconv.Itoa(c))
	}
	return m
}

// answered counts an answer with code; 0 (the handler wrote nothing: it
// panicked, and the listener answers) is not counted.
func (m *Metrics) answered(code int) {
	if m != nil && code != 0 {
		m.answers.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

func (m *Metrics) held(delta int64) {
	if m != nil {
		m.inFlight.Add(float64(delta))
	}
}

// readingBody counts a body being read (delta 1) or done with (-1).
func (m *Metrics) readingBody(delta float64) {
	if m != nil {
		m.reading.Add(delta)
	}
}

func (m *Metrics) refused() {
	if m != nil {
		m.busy.Inc()
	}
}

// peerMetrics count the client-certificate checks of Peers.
type peerMetrics struct {
	refused      *prometheus.CounterVec
	reloads      prometheus.Counter
	reloadErrors prometheus.Counter
}

func newPeerMetrics(reg prometheus.Registerer) *peerMetrics {
	return &peerMetrics{
		refused: promreg.CounterVec(reg, "streamgate_gateway_client_cert_refusals_total",
			"Gateway TLS handshakes refused for the client certificate, by reason (untrusted, revoked, no_crl, crl_expired).",
			"reason"),
		reloads: promreg.Counter(reg, "streamgate_gateway_client_ca_reloads_total",
			"Re-readings of gatewayClientCA (CAs and CRLs) after its files changed."),
		reloadErrors: promreg.Counter(reg, "streamgate_gateway_client_ca_reload_errors_total",
			"Re-readings of gatewayClientCA that failed (the previous CAs and CRLs stay)."),
	}
}
