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
	m := &metrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_hooks_started_total",
			Help: "Hook processes started, by hook key."}, []string{"hook"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_hooks_restarts_total",
			Help: "Hook processes restarted after they exited (…Restart), by hook key."}, []string{"hook"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_hooks_refused_total",
			Help: "Hook processes not started because the bound on running hook processes was reached, by hook key."}, []string{"hook"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgate_hooks_running",
			Help: "Hook processes running now."}),
	}
	m.started = promreg.MustRegister(reg, m.started)
	m.restarts = promreg.MustRegister(reg, m.restarts)
	m.refused = promreg.MustRegister(reg, m.refused)
	m.running = promreg.MustRegister(reg, m.running)
	return m
}
