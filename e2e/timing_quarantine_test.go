package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// A quarantined user's refusal costs the server no argon2 run
// (streamgate_auth_argon2_verifications_total does not move for it, and
// moves by one for each wrong password), yet takes about as long as a
// wrong password's: the answer waits the upper decile of recent
// verifications. Same status and body, medians within 20 % (a ratio).
func TestQuarantinedAnswerLooksLikeWrongPassword(t *testing.T) {
	const perRound, rounds = 40, 3
	h := hashArgon2(t, "timed-secret", "--memory", "8192", "--time", "2", "--threads", "1")
	// Each wrong password is a different user's first failure: none but
	// locked reaches the limit. (A success does not reset a count when it
	// is answered from the decision cache, so one user taking turns with
	// wrong and right passwords ends up quarantined too.)
	var open strings.Builder
	for i := range perRound * rounds {
		fmt.Fprintf(&open, "- {user: open-%03d, pass: '%s', permissions: [{action: api}]}\n", i, h)
	}
	d := testharness.Start(t, fmt.Sprintf(`
metrics: yes
authQuarantine: {failedAttemptLimit: 3, period: 10m, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: locked, pass: '%s', permissions: [{action: api}]}
- {user: scraper, pass: scraper-secret-7, permissions: [{action: metrics}]}
%s`, h, open.String()), testharness.WithMetricsAuth("scraper", "scraper-secret-7"))
	runs := func() float64 { return d.Metric(t, "streamgate_auth_argon2_verifications_total", nil) }
	api := d.URL("api", "/v3/paths/list")
	client := newClient(1)
	defer client.CloseIdleConnections()
	for i := range 3 {
		do(t, client, api, basicAuth("locked", fmt.Sprintf("bad-%d", i)))
	}
	// measure times one request and counts the argon2 runs it cost.
	measure := func(user, pass string) (answer, time.Duration, float64) {
		before := runs()
		start := time.Now()
		a := do(t, client, api, basicAuth(user, pass))
		took := time.Since(start)
		return a, took, runs() - before
	}
	if _, _, n := measure("locked", "any"); n != 0 {
		t.Fatalf("a quarantined user's request cost %v argon2 runs, want none", n)
	}
	var quarantined, wrong []time.Duration
	var firstQ, firstW answer
	seq := 0
	round := func(n int) {
		for range n {
			i := seq
			seq++
			aw, tw, nw := measure(fmt.Sprintf("open-%03d", i), fmt.Sprintf("wrong-%d", i))
			aq, tq, nq := measure("locked", fmt.Sprintf("any-%d", i))
			if nw != 1 {
				t.Errorf("a wrong password cost %v argon2 runs, want 1", nw)
			}
			if nq != 0 {
				t.Errorf("a quarantined user's request cost %v argon2 runs, want none", nq)
			}
			if i == 0 {
				firstQ, firstW = aq, aw
			}
			sameAnswer(t, "quarantined", aq, firstQ)
			sameAnswer(t, "wrong password", aw, firstW)
			if i >= 5 { // the first few warm the server up
				quarantined, wrong = append(quarantined, tq), append(wrong, tw)
			}
		}
	}
	// When a busy machine skews a round, more rounds add samples: a real
	// difference stays, noise averages out.
	var mq, mw time.Duration
	var ratio float64
	for r := 1; r <= rounds; r++ {
		round(perRound)
		mq, mw = median(quarantined), median(wrong)
		ratio = float64(max(mq, mw)) / float64(min(mq, mw))
		t.Logf("round %d: median quarantined %s, wrong password %s, ratio %.3f", r, mq, mw, ratio)
		if ratio <= 1.2 {
			break
		}
	}
	sameAnswer(t, "quarantined vs wrong password", firstQ, firstW)
	if ratio > 1.2 {
		t.Errorf("quarantined and wrong-password medians differ by more than 20%%: %s vs %s", mq, mw)
	}
}
