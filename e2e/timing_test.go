package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// An unknown user and a wrong password get the same answer in the same
// time: the unknown user is verified against a fake hash with the real
// user's parameters. Not parallel: it measures time.
func TestUnknownUserAndWrongPasswordLookAlike(t *testing.T) {
	h := hashArgon2(t, "timed-secret", "--memory", "8192", "--time", "2", "--threads", "1")
	d := testharness.Start(t, fmt.Sprintf(`
authRealm: e2e-timing
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: timed, pass: '%s', permissions: [{action: api}]}
`, h))
	api := d.URL("api", "/v3/paths/list")
	client := newClient(1)
	defer client.CloseIdleConnections()

	// Every try differs (name or password), so the decision cache never
	// answers; unknown and wrong alternate, so drift hits both alike. When
	// the machine is busy and a round's medians differ by more than 20 %,
	// more rounds add samples (up to maxRounds): a real difference stays,
	// noise averages out.
	const tries, warmup, maxRounds = 60, 5, 3
	var unknown, wrong []time.Duration
	var firstUnknown, firstWrong answer
	measure := func(user, pass string) (answer, time.Duration) {
		start := time.Now()
		a := do(t, client, api, basicAuth(user, pass))
		return a, time.Since(start)
	}
	seq := 0
	round := func(n int, keep bool) {
		for range n {
			i := seq
			seq++
			pairs := [2]func(){
				func() {
					a, took := measure(fmt.Sprintf("ghost-%d", i), fmt.Sprintf("ghost-pass-%d", i))
					if i == 0 {
						firstUnknown = a
					}
					sameAnswer(t, "unknown user", a, firstUnknown)
					if keep {
						unknown = append(unknown, took)
					}
				},
				func() {
					a, took := measure("timed", fmt.Sprintf("wrong-pass-%d", i))
					if i == 0 {
						firstWrong = a
					}
					sameAnswer(t, "wrong password", a, firstWrong)
					if keep {
						wrong = append(wrong, took)
					}
				},
			}
			pairs[i%2]() // alternate which goes first
			pairs[1-i%2]()
		}
	}
	round(warmup, false)
	var mu, mw time.Duration
	var ratio float64
	for r := 1; r <= maxRounds; r++ {
		round(tries, true)
		mu, mw = median(unknown), median(wrong)
		ratio = float64(max(mu, mw)) / float64(min(mu, mw))
		t.Logf("round %d: median unknown user %s, wrong password %s, ratio %.3f (%d tries each)", r, mu, mw, ratio, len(unknown))
		if ratio <= 1.2 {
			break
		}
	}
	if ratio > 1.2 {
		t.Errorf("unknown user and wrong password medians differ by more than 20%%: %s vs %s (ratio %.3f over %d tries each)",
			mu, mw, ratio, len(unknown))
	}
	wantChallenge(t, "unknown user", firstUnknown, "e2e-timing")
	sameAnswer(t, "unknown user vs wrong password", firstUnknown, firstWrong)
	wantStatus(t, "right password", get(t, api, basicAuth("timed", "timed-secret")), http.StatusOK)
	if runs := d.WaitLogCount("auth decision", 2*seq, 5*time.Second); len(runs) < 2*seq {
		t.Errorf("%d decisions logged, want ≥ %d", len(runs), 2*seq)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
