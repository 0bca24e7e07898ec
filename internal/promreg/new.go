package promreg

import "github.com/prometheus/client_golang/prometheus"

// Counter creates the counter name and registers it with reg (MustRegister:
// a second registration returns the first counter).
func Counter(reg prometheus.Registerer, name, help string) prometheus.Counter {
	return MustRegister(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
}

// CounterVec is Counter with labels.
func CounterVec(reg prometheus.Registerer, name, help string, labels ...string) *prometheus.CounterVec {
	return MustRegister(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

// Gauge creates the gauge name and registers it with reg (MustRegister).
func Gauge(reg prometheus.Registerer, name, help string) prometheus.Gauge {
	return MustRegister(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help}))
}

// GaugeVec is Gauge with labels.
func GaugeVec(reg prometheus.Registerer, name, help string, labels ...string) *prometheus.GaugeVec {
	return MustRegister(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))
}
