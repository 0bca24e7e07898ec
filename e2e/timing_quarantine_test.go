package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// A quarantined user's refusal costs the server no argon2 run, yet takes
// about as long as a wrong password's: the answer waits the median of recent
// verifications. Same status and body, medians within 20 % (a ratio).
func TestQuarantinedAnswerLooksLikeWrongPassword(t *testing.T) {
	h := hashArgon2(t, "timed-secret", "--memory", "8192", "--time", "2", "--threads", "1")
	d := testharness.Start(t, fmt.Sprintf(`
authQuarantine: {failedAttemptLimit: 3, period: 10m, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: locked, pass: '%s', permissions: [{action: api}]}
- {user: open, pass: '%s', permissions: [{action: api}]}
`, h, h))
	api := d.URL("api", "/v3/paths/list")
	client := newClient(1)
	defer client.CloseIdleConnections()
	for i := range 3 {
		do(t, client, api, basicAuth("locked", fmt.Sprintf("bad-%d", i)))
	}
	measure := func(user, pass string) (answer, time.Duration) {
		start := time.Now()
		a := do(t, client, api, basicAuth(user, pass))
		return a, time.Since(start)
	}
	var quarantined, wrong []time.Duration
	var firstQ, firstW answer
	seq := 0
	round := func(n int) {
		for range n {
			i := seq
			seq++
			// A fresh wrong password each time (no cached decision), and a
			// success after it, so that "open" itself is never quarantined.
			aw, tw := measure("open", fmt.Sprintf("wrong-%d", i))
			do(t, client, api, basicAuth("open", "timed-secret")) // resets open's count
			aq, tq := measure("locked", fmt.Sprintf("any-%d", i))
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
	for r := 1; r <= 3; r++ {
		round(40)
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
