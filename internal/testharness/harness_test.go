package testharness

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHarnessEnv(t *testing.T) {
	env, err := harnessEnv("rtsp: yes\napiAddress: 127.0.0.1:0\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STREAMGATE_LOGFORMAT=json", "MTX_METRICSADDRESS=127.0.0.1:0", "MTX_GATEWAYADDRESS=127.0.0.1:0", "MTX_RTMP=no", "MTX_SRT=no"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %v", want, env)
		}
	}
	for _, unwanted := range []string{"MTX_RTSP=no", "MTX_APIADDRESS=127.0.0.1:0"} {
		if slices.Contains(env, unwanted) {
			t.Errorf("env has %s although the YAML sets it", unwanted)
		}
	}
	for _, bad := range []string{"apiAddress: :9997\n", "metricsAddress: 0.0.0.0:0\n", "hlsAddress: [1, 2]\n"} {
		if _, err := harnessEnv(bad); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("harnessEnv(%q) = %v, want an error asking for 127.0.0.1", bad, err)
		}
	}
	if _, err := harnessEnv("not: [valid"); err != nil {
		t.Errorf("a YAML syntax error is the daemon's to report, got %v", err)
	}
}

func TestChildEnvDropsConfigVariables(t *testing.T) {
	t.Setenv("MTX_RTSP", "yes")
	t.Setenv("STREAMGATE_APIADDRESS", ":9997")
	env := childEnv([]string{"MTX_HLS=no"})
	for _, kv := range env {
		if strings.HasPrefix(kv, "MTX_RTSP=") || strings.HasPrefix(kv, "STREAMGATE_APIADDRESS=") {
			t.Errorf("the test process's %s reached the daemon", kv)
		}
	}
	if env[len(env)-1] != "MTX_HLS=no" {
		t.Errorf("extra variables must come last (they win): %v", env[len(env)-3:])
	}
}

func TestLogBufferSplitsLines(t *testing.T) {
	b := newLogBuffer()
	w := b.writer("stderr")
	for _, chunk := range []string{`{"msg":"a","n":1}` + "\n" + `{"msg":`, `"b"}` + "\nplain text\n", "partial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	lines := b.lines()
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3: %+v", len(lines), lines)
	}
	if lines[0].fields["msg"] != "a" || lines[1].fields["msg"] != "b" || lines[2].fields != nil || lines[2].text != "plain text" {
		t.Errorf("lines %+v", lines)
	}
	d := &Daemon{log: b, exited: make(chan struct{})}
	if !d.WaitLog("plain", 0) || d.WaitLog("partial", 10*time.Millisecond) {
		t.Errorf("WaitLog sees only complete lines")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = w.Write([]byte("\n"))
	}()
	if !d.WaitLog("partial", 5*time.Second) {
		t.Errorf("WaitLog missed a line written while waiting")
	}
	if got := len(d.WaitLogCount("a", 1, 0)); got != 1 {
		t.Errorf("WaitLogCount = %d, want 1", got)
	}
}

func TestMetricValue(t *testing.T) {
	fams := ParseMetrics(t, `# TYPE streamgate_auth_decisions_total counter
streamgate_auth_decisions_total{action="api",backend="internal",protocol="http",result="granted"} 3
streamgate_auth_decisions_total{action="api",backend="none",protocol="http",result="denied"} 2
streamgate_auth_decisions_total{action="metrics",backend="internal",protocol="http",result="granted"} 5
# TYPE g gauge
g 1.5
`)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"streamgate_auth_decisions_total", nil, 10},
		{"streamgate_auth_decisions_total", map[string]string{"action": "api"}, 5},
		{"streamgate_auth_decisions_total", map[string]string{"action": "api", "result": "granted"}, 3},
		{"streamgate_auth_decisions_total", map[string]string{"action": "pprof"}, 0},
		{"g", nil, 1.5},
		{"absent", nil, 0},
	} {
		if got := MetricValue(fams, c.name, c.labels); got != c.want {
			t.Errorf("MetricValue(%s, %v) = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
