package savant

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// writerMetrics are the Savant writer's counters.
type writerMetrics struct {
	result *prometheus.CounterVec
	queued prometheus.Gauge
}

func newWriterMetrics(reg prometheus.Registerer) *writerMetrics {
	m := &writerMetrics{
		result: promreg.CounterVec(reg, "streamgate_savant_messages_total",
			"Savant messages by outcome: sent, queue_full (dropped), send_timeout, ack_timeout, not_acknowledged, closed, error.",
			"result"),
		queued: promreg.Gauge(reg, "streamgate_savant_queue_length", "Savant messages waiting for the socket."),
	}
	for _, r := range writerResults {
		m.result.WithLabelValues(r)
	}
	return m
}

// writerResults are the values of streamgate_savant_messages_total's result
// label (resultLabel's, and queue_full).
var writerResults = []string{"sent", "queue_full", "send_timeout", "ack_timeout", "not_acknowledged", "closed", "error"}
