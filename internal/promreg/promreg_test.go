package promreg

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := prometheus.CounterOpts{Name: "x_total", Help: "x"}
	a := MustRegister(reg, prometheus.NewCounter(opts))
	a.Inc()
	b := MustRegister(reg, prometheus.NewCounter(opts))
	if b != a {
		t.Fatal("the second registration did not return the first counter")
	}
	if _, err := Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "x_total", Help: "other"})); err == nil {
		t.Error("a different metric of the same name was accepted")
	}
	if c, err := Register[prometheus.Counter](nil, a); err != nil || c != a {
		t.Error("nil registerer")
	}
}
