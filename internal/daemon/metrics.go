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
	return &reloadMetrics{
		errors: promreg.Counter(reg, "streamgate_config_reload_errors_total",
			"Configuration reloads refused (the file did not load or did not compile; the running configuration was kept) or only partly applied (a listener did not restart)."),
		ok: promreg.Counter(reg, "streamgate_config_reloads_total", "Configuration reloads applied."),
	}
}
