package hooks

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// metrics are the hooks' counters; the label is the hook's key (runOnRead…).
type metrics struct {
	started  *prometheus.CounterVec
	restarts *prometheus.CounterVec
	refused  *prometheus.CounterVec
	running  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		started: promreg.CounterVec(reg, "streamgate_hooks_started_total",
			"Hook processes started, by hook key.", "hook"),
		restarts: promreg.CounterVec(reg, "streamgate_hooks_restarts_total",
			"Hook processes restarted after they exited (…Restart), by hook key.", "hook"),
		refused: promreg.CounterVec(reg, "streamgate_hooks_refused_total",
			"Hook processes not started because the bound on running hook processes was reached, by hook key.", "hook"),
		running: promreg.Gauge(reg, "streamgate_hooks_running",
			"Hook processes running now."),
	}
}
