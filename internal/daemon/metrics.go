package daemon

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// reloadMetrics count configuration reloads, applied and failed.
type reloadMetrics struct {
	errors prometheus.Counter
	ok     prometheus.Counter
}

func newReloadMetrics(reg prometheus.Registerer) *reloadMetrics {
	m := &reloadMetrics{
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_config_reload_errors_total",
			Help: "Configuration reloads refused (the file did not load or did not compile; the running configuration was kept) or only partly applied (a listener did not restart)."}),
		ok: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_config_reloads_total",
			Help: "Configuration reloads applied."}),
	}
	m.errors = promreg.MustRegister(reg, m.errors)
	m.ok = promreg.MustRegister(reg, m.ok)
	return m
}
