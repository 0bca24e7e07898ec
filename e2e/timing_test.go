package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Every refusal of a login attempt takes the same time whatever its cause:
// an unknown user, a wrong plain password and a wrong argon2 password (both
// users in one file, no "any" user). Refusals wait until one target
// duration has passed since the request arrived; nothing is computed for
// the unknown user. Medians within 25 % of each other, as ratios of one run.
// Not parallel: it measures time.
func TestRefusalsTakeTheSameTime(t *testing.T) {
	h := hashArgon2(t, "timed-secret", "--memory", "8192", "--time", "2", "--threads", "1")
	d := testharness.Start(t, fmt.Sprintf(`
authRealm: e2e-timing
authQuarantine: {failedAttemptLimit: 0, userFailedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: timed, pass: '%s', permissions: [{action: api}]}
- {user: plain, pass: plain-secret, permissions: [{action: api}]}
`, h))
	api := d.URL("api", "/v3/paths/list")
	client := newClient(1)
	defer client.CloseIdleConnections()

	// Every try differs (name or password), so the decision cache never
	// answers; the three kinds rotate, so drift hits all alike. When the
	// machine is busy and a round's medians differ by more than the bound,
	// more rounds add samples (up to maxRounds): a real difference stays,
	// noise averages out.
	const tries, warmup, maxRounds, bound = 40, 5, 3, 1.25
	kinds := []struct {
		name string
		cred func(i int) reqOpt
	}{
		{"unknown user", func(i int) reqOpt { return basicAuth(fmt.Sprintf("ghost-%d", i), fmt.Sprintf("ghost-pass-%d", i)) }},
		{"wrong plain password", func(i int) reqOpt { return basicAuth("plain", fmt.Sprintf("wrong-pass-%d", i)) }},
		{"wrong argon2 password", func(i int) reqOpt { return basicAuth("timed", fmt.Sprintf("wrong-pass-%d", i)) }},
	}
	took := make([][]time.Duration, len(kinds))
	first := make([]answer, len(kinds))
	seq := 0
	round := func(n int, keep bool) {
		for range n {
			i := seq
			seq++
			for j := range kinds {
				k := (i + j) % len(kinds) // rotate which goes first
				start := time.Now()
				a := do(t, client, api, kinds[k].cred(i))
				d := time.Since(start)
				if i == 0 {
					first[k] = a
				}
				sameAnswer(t, kinds[k].name, a, first[k])
				if keep {
					took[k] = append(took[k], d)
				}
			}
		}
	}
	round(warmup, false)
	var ratio float64
	var medians []time.Duration
	for r := 1; r <= maxRounds; r++ {
		round(tries, true)
		medians = medians[:0]
		for k := range kinds {
			medians = append(medians, median(took[k]))
		}
		ratio = float64(slices.Max(medians)) / float64(slices.Min(medians))
		t.Logf("round %d: medians %s %s, %s %s, %s %s; max/min %.3f (%d tries each)", r,
			kinds[0].name, medians[0], kinds[1].name, medians[1], kinds[2].name, medians[2], ratio, len(took[0]))
		if ratio <= bound {
			break
		}
	}
	if ratio > bound {
		t.Errorf("refusal medians differ by more than %.2f×: %s %s, %s %s, %s %s (ratio %.3f over %d tries each)", bound,
			kinds[0].name, medians[0], kinds[1].name, medians[1], kinds[2].name, medians[2], ratio, len(took[0]))
	}
	wantChallenge(t, "unknown user", first[0], "e2e-timing")
	sameAnswer(t, "unknown user vs wrong plain password", first[0], first[1])
	sameAnswer(t, "unknown user vs wrong argon2 password", first[0], first[2])
	wantStatus(t, "right argon2 password", get(t, api, basicAuth("timed", "timed-secret")), http.StatusOK)
	wantStatus(t, "right plain password", get(t, api, basicAuth("plain", "plain-secret")), http.StatusOK)
	if runs := d.WaitLogCount("auth decision", 3*seq, 5*time.Second); len(runs) < 3*seq {
		t.Errorf("%d decisions logged, want ≥ %d", len(runs), 3*seq)
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
