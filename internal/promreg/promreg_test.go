package promreg

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
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

func TestConstructorsRegisterOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := CounterVec(reg, "y_total", "y", "kind")
	c.WithLabelValues("a").Inc()
	if again := CounterVec(reg, "y_total", "y", "kind"); again != c {
		t.Error("the second CounterVec did not return the first")
	}
	g := Gauge(reg, "z", "z")
	if again := Gauge(reg, "z", "z"); again != g {
		t.Error("the second Gauge did not return the first")
	}
	if Counter(nil, "u_total", "u") == nil || GaugeVec(nil, "v", "v", "l") == nil {
		t.Error("nil registerer")
	}
	if n, err := testutil.GatherAndCount(reg, "y_total", "z"); err != nil || n != 2 {
		t.Errorf("gathered %d series (%v), want 2", n, err)
	}
}
