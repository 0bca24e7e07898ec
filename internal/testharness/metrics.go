package testharness

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// MetricsText scrapes /metrics on the metrics listener (with the
// WithMetricsAuth credentials, if any) and returns the body.
func (d *Daemon) MetricsText(t testing.TB) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.URL("metrics", "/metrics"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.metricsUser != "" || d.metricsPass != "" {
		req.SetBasicAuth(d.metricsUser, d.metricsPass)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape /metrics: %s (set WithMetricsAuth to a user with the metrics permission)", resp.Status)
	}
	return string(body)
}

// MetricFamilies scrapes /metrics and parses it.
func (d *Daemon) MetricFamilies(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	return ParseMetrics(t, d.MetricsText(t))
}

// ParseMetrics parses Prometheus text exposition format.
func ParseMetrics(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// Metric scrapes /metrics and returns the sum of the series of name whose
// labels include every pair in labels (nil: all series). A metric with no
// matching series — a counter vector nothing has touched yet — is 0.
// Counters, gauges and untyped values are summed; for a histogram or
// summary the sample count is.
func (d *Daemon) Metric(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	return MetricValue(d.MetricFamilies(t), name, labels)
}

// MetricValue is Metric over already parsed families.
func MetricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	fam, ok := fams[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			sum += float64(m.GetSummary().GetSampleCount())
		}
	}
	return sum
}

// GatheredMetric is MetricValue over what g gathers: for tests of a
// package that registers its metrics on its own registry.
func GatheredMetric(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := make(map[string]*dto.MetricFamily, len(mfs))
	for _, f := range mfs {
		fams[f.GetName()] = f
	}
	return MetricValue(fams, name, labels)
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
