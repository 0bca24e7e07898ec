package panics_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/internal/testharness"
)

// A panic in one connection's goroutine ends that goroutine (end runs), is
// logged at error with the stack and counted; the other connections'
// goroutines, and the process, go on.
func TestRecoverEndsOnlyThatConnection(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil)).With("component", "unit")
	before := panics.Count("unit")

	var wg sync.WaitGroup
	ended := make([]bool, 3)
	served := make([]bool, 3)
	for i := range 3 {
		wg.Go(func() {
			defer panics.Recover(logger, "unit", func() { ended[i] = true })
			if i == 1 {
				var s []int
				_ = s[i] // index out of range: a runtime panic
			}
			served[i] = true
		})
	}
	wg.Wait()
	if want := []bool{true, false, true}; !slices.Equal(served, want) {
		t.Errorf("served %v, want %v", served, want)
	}
	if want := []bool{false, true, false}; !slices.Equal(ended, want) {
		t.Errorf("ended %v, want %v", ended, want)
	}
	if got := panics.Count("unit") - before; got != 1 {
		t.Errorf("streamgate_panics_total{component=unit} grew by %v, want 1", got)
	}
	out := logs.String()
	for _, want := range []string{`"level":"ERROR"`, `"component":"unit"`, `index out of range [1] with length 0`, `panics_test.go`} {
		if !strings.Contains(out, want) {
			t.Errorf("log has no %s:\n%s", want, out)
		}
	}
}

// end may turn a callback's named results into an error answer.
func TestRecoverSetsResults(t *testing.T) {
	f := func() (res string, err error) {
		defer panics.Recover(slog.New(slog.NewTextHandler(io.Discard, nil)), "unit", func() { res, err = "500", http.ErrAbortHandler })
		panic("boom")
	}
	if res, err := f(); res != "500" || err == nil {
		t.Errorf("got %q, %v", res, err)
	}
}

// A panicking HTTP handler aborts its own request (the client sees the
// connection end), is counted under the listener's component and logged
// once by us (not by net/http); the next request on the server is served.
func TestHandlerCountsAndAborts(t *testing.T) {
	var logs, serverLog testharness.LockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	reg := prometheus.NewRegistry()
	panics.Register(reg, "httptest")
	before := panics.Count("httptest")
	h := panics.Handler(logger, "httptest", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = slog.NewLogLogger(slog.NewTextHandler(&serverLog, nil), slog.LevelError)
	srv.Start()
	defer srv.Close()

	if _, err := http.Get(srv.URL + "/boom"); err == nil {
		t.Error("GET /boom: an answer, want the connection aborted")
	}
	res, err := http.Get(srv.URL + "/fine")
	if err != nil {
		t.Fatalf("GET /fine after the panic: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "ok" {
		t.Errorf("GET /fine: %q", body)
	}
	if got := panics.Count("httptest") - before; got != 1 {
		t.Errorf("count grew by %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "streamgate_panics_total"); err != nil || n == 0 {
		t.Errorf("streamgate_panics_total not registered: %d series, %v", n, err)
	}
	if strings.Count(logs.String(), "panic recovered") != 1 {
		t.Errorf("our log:\n%s", logs.String())
	}
	if strings.Contains(serverLog.String(), "panic") {
		t.Errorf("net/http logged the panic too:\n%s", serverLog.String())
	}
}
