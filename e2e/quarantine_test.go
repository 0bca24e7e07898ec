package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// startQuarantineAPI runs a daemon with realm, the authQuarantine settings
// quarantine (the inside of its flow mapping) and internal users
// ("name:password") allowed the API; it returns the daemon and the URL of
// its path list.
func startQuarantineAPI(t *testing.T, realm, quarantine string, users ...string) (*testharness.Daemon, string) {
	t.Helper()
	var conf strings.Builder
	fmt.Fprintf(&conf, "authRealm: %s\nauthQuarantine: {%s}\nauthInternalUsers:\n", realm, quarantine)
	for _, u := range users {
		name, pass, _ := strings.Cut(u, ":")
		fmt.Fprintf(&conf, "- {user: %s, pass: %s, permissions: [{action: api}]}\n", name, pass)
	}
	d := testharness.Start(t, conf.String())
	return d, d.URL("api", "/v3/paths/list")
}

// Seed 001: three wrong passwords, then the right one is refused until the
// period has passed, then accepted.
func TestQuarantineEndsAfterPeriod(t *testing.T) {
	t.Parallel()
	const period = 2 * time.Second
	d, api := startQuarantineAPI(t, "e2e-q", "failedAttemptLimit: 3, period: 2s, ipFailedAttemptLimit: 0", "victim:victim-secret-1")
	right := basicAuth("victim", "victim-secret-1")

	var wrong answer
	for i := range 3 {
		wrong = get(t, api, basicAuth("victim", fmt.Sprintf("guess-%d", i)))
		wantChallenge(t, "wrong password", wrong, "e2e-q")
	}
	quarantinedAt := time.Now()
	quarantined := get(t, api, right)
	wantChallenge(t, "right password while quarantined", quarantined, "e2e-q")
	sameAnswer(t, "quarantined vs wrong password", quarantined, wrong)
	sameAnswer(t, "unknown user vs wrong password", get(t, api, basicAuth("ghost", "guess")), wrong)

	var released time.Duration
	for {
		a := get(t, api, right)
		if a.status == http.StatusOK {
			released = time.Since(quarantinedAt)
			break
		}
		wantChallenge(t, "right password while quarantined", a, "e2e-q")
		if time.Since(quarantinedAt) > period+3*time.Second {
			t.Fatalf("still refused %s after the quarantine began (period %s)", time.Since(quarantinedAt), period)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The quarantine began at the third failure, a moment before quarantinedAt.
	if released < period-250*time.Millisecond {
		t.Errorf("released after %s, before the period of %s", released, period)
	}
	logBarrier(t, d)
	if got := d.LogEntriesWhere("auth decision"); !hasDecision(got, "victim", "quarantined") {
		t.Errorf("no decision logged with reason quarantined: %v", got)
	}
	assertNotLogged(t, d, "victim-secret-1")
}

// A flood of wrong passwords under 10 000 other users' names does not
// release a quarantined user (the Media Gateway pitfall: an LRU evicted
// it). The names exist (an unknown name counts against the address only)
// and maxTracked is far below the flood, so the tables are full many times
// over (streamgate_auth_quarantine_untracked_total says so). The period (an hour) outlasts
// any run of the test, so however long the flood takes, the only way out of
// the quarantine is an eviction: after the flood the daemon's own record —
// the decision log's reason and the quarantine counters — says whether the
// victim is still quarantined.
func TestQuarantineSurvivesNameFlood(t *testing.T) {
	t.Parallel()
	const names, workers = 10000, 32
	var floodUsers strings.Builder
	for i := range names {
		fmt.Fprintf(&floodUsers, "- {user: flood-%05d, pass: flood-secret-2, permissions: [{action: api}]}\n", i)
	}
	d := testharness.Start(t, `
authRealm: e2e-flood
metrics: yes
authCache: {size: 10000, ttl: 5m}
authQuarantine: {failedAttemptLimit: 3, period: 1h, ipFailedAttemptLimit: 0, maxTracked: 1000}
authInternalUsers:
- {user: victim, pass: victim-secret-2, permissions: [{action: api}]}
- {user: scraper, pass: scraper-secret-2, permissions: [{action: metrics}]}
`+floodUsers.String(), testharness.WithMetricsAuth("scraper", "scraper-secret-2"))
	api := d.URL("api", "/v3/paths/list")
	right := basicAuth("victim", "victim-secret-2")
	quarantinedTotal := func() float64 {
		return d.Metric(t, "streamgate_auth_quarantined_total", map[string]string{"scope": "user_ip"})
	}

	started := func() float64 {
		return d.Metric(t, "streamgate_auth_quarantines_started_total", map[string]string{"scope": "user_ip"})
	}
	victimQuarantined := func() int {
		logBarrier(t, d)
		n := 0
		for _, e := range d.LogEntriesWhere("auth decision") {
			if e["user"] == "victim" && e["reason"] == "quarantined" {
				n++
			}
		}
		return n
	}

	for i := range 3 {
		wantChallenge(t, "wrong password", get(t, api, basicAuth("victim", fmt.Sprintf("guess-%d", i))), "e2e-flood")
	}
	start := time.Now()
	wantChallenge(t, "right password while quarantined", get(t, api, right), "e2e-flood")
	before := quarantinedTotal()
	if before < 1 {
		t.Errorf("streamgate_auth_quarantined_total{scope=user_ip} = %v after a quarantined request, want ≥ 1", before)
	}
	startedBefore := started()
	if startedBefore != 1 {
		t.Errorf("streamgate_auth_quarantines_started_total{scope=user_ip} = %v after three wrong passwords, want 1", startedBefore)
	}
	decisionsBefore := victimQuarantined()
	if decisionsBefore < 1 {
		t.Errorf("no decision for victim logged with reason quarantined before the flood")
	}

	client := newClient(workers)
	defer client.CloseIdleConnections()
	var next, refused atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= names {
					return
				}
				a, err := try(client, api, basicAuth(fmt.Sprintf("flood-%05d", i), "flood-wrong"))
				if err != nil {
					failed.Store(err)
					return
				}
				if a.status == http.StatusUnauthorized {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatalf("flood request failed: %v", err)
	}
	if refused.Load() != names {
		t.Errorf("%d of %d flood requests refused, want all", refused.Load(), names)
	}
	t.Logf("flood of %d names with %d workers took %s", names, workers, time.Since(start))

	wantChallenge(t, "right password right after the flood", get(t, api, right), "e2e-flood")
	if after := quarantinedTotal(); after <= before {
		t.Errorf("streamgate_auth_quarantined_total{scope=user_ip} went from %v to %v, want an increase", before, after)
	}
	if after := victimQuarantined(); after <= decisionsBefore {
		t.Errorf("victim's right password after the flood was not refused with reason quarantined (%d such decisions before, %d after)",
			decisionsBefore, after)
	}
	if after := started(); after != startedBefore {
		t.Errorf("streamgate_auth_quarantines_started_total{scope=user_ip} went from %v to %v: the quarantine was lost and begun again?",
			startedBefore, after)
	}
	if untracked := d.Metric(t, "streamgate_auth_quarantine_untracked_total", nil); untracked < names-1000 {
		t.Errorf("streamgate_auth_quarantine_untracked_total = %v after %d names' failures with maxTracked 1000, want ≥ %d: the tables were not full",
			untracked, names, names-1000)
	}
}

// ipFailedAttemptLimit: failures under five different names from one
// address quarantine the address — for names that have not logged in from
// it recently. A user who had (the office behind one NAT address) keeps
// getting in.
func TestQuarantinePerAddress(t *testing.T) {
	t.Parallel()
	d, api := startQuarantineAPI(t, "e2e-ip", "failedAttemptLimit: 3, period: 20s, ipFailedAttemptLimit: 5",
		"valid:valid-secret-3", "newcomer:newcomer-secret-3")
	right := basicAuth("valid", "valid-secret-3")
	wantStatus(t, "valid user before", get(t, api, right), http.StatusOK)
	var wrong answer
	for i := range 5 {
		wrong = get(t, api, basicAuth(fmt.Sprintf("guesser-%d", i), "nope"))
		wantChallenge(t, "wrong name", wrong, "e2e-ip")
	}
	a := get(t, api, basicAuth("newcomer", "newcomer-secret-3"))
	wantChallenge(t, "a user new to a quarantined address", a, "e2e-ip")
	sameAnswer(t, "quarantined address vs wrong password", a, wrong)
	wantStatus(t, "a user who logged in from the address before", get(t, api, right), http.StatusOK)
	wantStatus(t, "/health from a quarantined address", get(t, d.URL("api", "/health")), http.StatusOK)
	logBarrier(t, d)
	if got := d.LogEntriesWhere("auth decision"); !hasDecision(got, "newcomer", "address quarantined") {
		t.Errorf("no decision logged with reason address quarantined")
	}
}

// hasDecision reports whether a decision for user with reason was logged.
func hasDecision(entries []map[string]any, user, reason string) bool {
	for _, e := range entries {
		if e["user"] == user && e["reason"] == reason {
			return true
		}
	}
	return false
}
