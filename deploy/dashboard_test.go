// Package deploy holds deployment files: deploy/grafana/streamgate.json, the
// Grafana dashboard. Its test holds the dashboard to the metrics a running
// daemon exports.
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/streamgate/streamgate/internal/testharness"
)

const dashboardPath = "grafana/streamgate.json"

// metricName matches the streamgate metric names in a PromQL expression.
var metricName = regexp.MustCompile(`streamgate_[a-z0-9_]+`)

// dashboardExprs returns every "expr" string anywhere in the dashboard
// (panels, panels nested in rows, template variables).
func dashboardExprs(t *testing.T, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				out = append(out, s)
				continue
			}
			out = append(out, dashboardExprs(t, x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, dashboardExprs(t, x)...)
		}
	}
	return out
}

func loadDashboard(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// TestDashboardShape: the dashboard imports into Grafana 10/11 with a
// Prometheus data source chosen at import (${DS_PROMETHEUS}), and every
// panel queries it.
func TestDashboardShape(t *testing.T) {
	d := loadDashboard(t)
	if v, _ := d["schemaVersion"].(float64); v < 36 {
		t.Errorf("schemaVersion %v, want ≥ 36", d["schemaVersion"])
	}
	var vars []string
	tmpl, _ := d["templating"].(map[string]any)
	list, _ := tmpl["list"].([]any)
	for _, x := range list {
		v, _ := x.(map[string]any)
		if v["type"] == "datasource" && v["query"] == "prometheus" {
			vars = append(vars, fmt.Sprint(v["name"]))
		}
	}
	if !slices.Contains(vars, "DS_PROMETHEUS") {
		t.Errorf("no Prometheus data source variable DS_PROMETHEUS (have %v)", vars)
	}
	panels, _ := d["panels"].([]any)
	if len(panels) == 0 {
		t.Fatal("no panels")
	}
	for _, x := range panels {
		p, _ := x.(map[string]any)
		if p["type"] == "row" {
			continue
		}
		ds, _ := p["datasource"].(map[string]any)
		if ds["uid"] != "${DS_PROMETHEUS}" {
			t.Errorf("panel %q: datasource %v, want uid ${DS_PROMETHEUS}", p["title"], p["datasource"])
		}
		if targets, _ := p["targets"].([]any); len(targets) == 0 {
			t.Errorf("panel %q has no query", p["title"])
		}
	}
}

// TestDashboardMetricsExist starts the daemon with every listener that
// needs no certificate (rtsp, rtmp, srt, hls, webrtc, api, metrics,
// gateway), the Savant output and the cluster (on a test's etcd: the
// registry and the shared quarantine export their metrics only then),
// scrapes /metrics, and checks that every metric a dashboard expression
// names is exported.
//
// The client library prints a vector only once it has a series, so the
// packages create their fixed label values at construction (at 0: this
// also spares dashboards "no data" before the first event), and
// per-listener series when each listener starts. A label set that is not
// fixed (auth decisions: backend × action × protocol × result) appears
// with its first event: the first, authenticated, scrape makes one.
func TestDashboardMetricsExist(t *testing.T) {
	exprs := dashboardExprs(t, loadDashboard(t))
	want := map[string]bool{}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			want[name] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("no streamgate metric in the dashboard's expressions")
	}

	e := testharness.StartEtcd(t)
	secret := filepath.Join(t.TempDir(), "cluster.secret")
	if err := os.WriteFile(secret, []byte("dashboard test cluster secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := testharness.Start(t, fmt.Sprintf(`
rtsp: yes
rtspTransports: [tcp]
rtmp: yes
srt: yes
hls: yes
webrtc: yes
api: yes
metrics: yes
gateway: yes
authInternalUsers:
- {user: admin, pass: admin-secret, permissions: [{action: api}, {action: metrics}]}
- {user: any, permissions: [{action: publish}, {action: read}]}
savant:
  url: pub+bind:%s
cluster:
  enabled: yes
  name: dash
  etcd: {endpoints: [%s], tls: {ca: %s, cert: %s, key: %s}, dialTimeout: 5s}
  advertiseAddress: 127.0.0.1:0
  secretFile: %s
paths:
  all_others: {}
`, testharness.IPCEndpoint(t, "dash"), e.Endpoint(), e.CAFile, e.CertFile, e.KeyFile, secret),
		testharness.WithMetricsAuth("admin", "admin-secret"))
	for _, l := range []string{"rtsp", "rtmp", "srt", "hls", "webrtc", "api", "metrics", "gateway"} {
		if d.Addr(l) == "" {
			t.Fatalf("listener %s did not start:\n%s", l, d.Logs())
		}
	}
	d.MetricsText(t) // an authenticated request: the first auth decision
	fams := d.MetricFamilies(t)

	var missing []string
	for name := range want {
		if !exported(fams, name) {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard uses metrics the daemon does not export:\n  %s", strings.Join(missing, "\n  "))
	}
}

// exported reports whether name is an exported family, or a histogram's or
// summary's _bucket, _sum or _count series.
func exported(fams map[string]*dto.MetricFamily, name string) bool {
	if _, ok := fams[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		if f, ok := fams[base]; ok {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				return true
			case dto.MetricType_SUMMARY:
				return suffix != "_bucket"
			}
		}
	}
	return false
}
