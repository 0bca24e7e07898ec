package panics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/streamgate/streamgate/internal/promreg"
)

// total counts recovered panics. It is one process-wide counter, registered
// with the daemon's registry by Register.
var total = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "streamgate_panics_total",
	Help: "Panics recovered in connection-handling code, by component; each ended one connection or request, not the process.",
}, []string{"component"})

// Components are the component label values the daemon's code uses: every
// listener kind, the stream hub's sinks, and the HTTP listeners.
var Components = []string{"rtsp", "rtmp", "srt", "hls", "webrtc", "api", "metrics", "pprof", "gateway", "stream", "source"}

// Register registers streamgate_panics_total with reg (again with the same
// registry: no-op). Components named in components start at 0 so that the
// series exist before the first panic.
func Register(reg prometheus.Registerer, components ...string) {
	for _, c := range components {
		total.WithLabelValues(c)
	}
	promreg.MustRegister(reg, total)
}

// Count is how many panics component has recovered so far.
func Count(component string) float64 {
	var m dto.Metric
	if err := total.WithLabelValues(component).Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
