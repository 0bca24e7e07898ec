package e2e_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Logins of different argon2 users run in parallel; nothing serializes
// authentication behind one loop or lock. Not parallel: it measures time.
//
// First, a fast argon2 login is not held behind a slow one that is already
// being verified: it ends while the slow one still runs. That holds however
// busy the machine is.
//
// Then the speedup: each round times N logins one after another and N other
// users' logins at once (users the cache has not seen; which goes first
// alternates). With a free CPU the N at once take well under N × one login
// (two CPUs: about half). When a round shows no speedup, the test times the
// same argon2 work outside the daemon (`streamgate hash` twice at once and
// twice one after another): if that shows none either, the machine's CPUs
// are busy with other work and the round proves nothing. The test fails
// when no round shows the speedup though every round's control did.
func TestRTSPArgon2LoginsOfDifferentUsersRunInParallel(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: parallel logins cannot be told from serial ones")
	}
	const n, rounds, speedup = 4, 3, 0.75
	user := func(r, i int) string { return fmt.Sprintf("user%d-%d", r, i) }
	names := []string{"quick"}
	for r := range rounds {
		for i := range 2 * n {
			names = append(names, user(r, i))
		}
	}
	slow := hashArgon2(t, rtspArgonPass, "--memory", "65536", "--time", "15", "--threads", "1")
	d := rtspArgonDaemon(t, names, map[string]string{"slow": slow})

	rtspFastLoginNotHeldBehindSlow(t, d)

	var ratios, controls []float64
	for r := range rounds {
		before := d.Metric(t, rtspArgonVerifications, nil)
		var serial time.Duration
		var parallel rtspLogins
		serialRun := func() {
			for i := range n {
				serial += rtspTimedLogins(t, d, []string{user(r, i)}, false).total
			}
		}
		parallelRun := func() {
			var group []string
			for i := range n {
				group = append(group, user(r, n+i))
			}
			parallel = rtspTimedLogins(t, d, group, false)
		}
		if r%2 == 0 {
			serialRun()
			parallelRun()
		} else {
			parallelRun()
			serialRun()
		}
		if got := d.Metric(t, rtspArgonVerifications, nil) - before; got != 2*n {
			t.Errorf("%d logins of different users cost %v argon2 verifications, want %d", 2*n, got, 2*n)
		}
		ratio := float64(parallel.total) / float64(serial)
		ratios = append(ratios, ratio)
		t.Logf("round %d: %d logins one after another %s (one login %s); %d other users at once %s: ratio %.2f",
			r+1, n, serial.Round(time.Millisecond), (serial / n).Round(time.Millisecond), n,
			parallel.total.Round(time.Millisecond), ratio)
		if ratio < speedup {
			return
		}
		control := rtspArgon2Control(t)
		controls = append(controls, control)
		t.Logf("round %d: no speedup; the same argon2 work outside the daemon, two at once vs one after another: %.2f", r+1, control)
		if control >= speedup {
			continue // the machine could not run two at once either
		}
	}
	if slices.ContainsFunc(controls, func(c float64) bool { return c >= speedup }) {
		t.Logf("no speedup measurable: this machine's CPUs are busy (ratios %.2f; outside the daemon %.2f); "+
			"the fast-behind-slow check above shows that the logins run concurrently", ratios, controls)
		return
	}
	t.Errorf("%d logins of different users at once never took under %.2f × the same logins one after another "+
		"(ratios %.2f), though the same work outside the daemon did (%.2f): serialized?", n, speedup, ratios, controls)
}

// rtspFastLoginNotHeldBehindSlow starts a login whose argon2 hash costs 5 ×
// the others' and, once the daemon is verifying it, a login of another
// argon2 user: that one must end first.
func rtspFastLoginNotHeldBehindSlow(t *testing.T, d *testharness.Daemon) {
	t.Helper()
	misses := func() float64 {
		return d.Metric(t, "streamgate_auth_cache_requests_total", map[string]string{"result": "miss"})
	}
	// The first, credential-less DESCRIBE of every login is answered from
	// the cache from now on, so that the next miss is the slow login's.
	if err := rtspDescribe(rtspURL(d, rtspReadUser, rtspReadPass, "cam")); err != nil {
		t.Fatal(err)
	}
	m0 := misses()
	var slowTook time.Duration
	var slowErr error
	slowDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(slowDone)
		slowErr = rtspDescribe(rtspURL(d, "slow", rtspArgonPass, "cam"))
		slowTook = time.Since(start)
	}()
	rtspWaitUntil(t, "the slow login reaches the pipeline", 10*time.Second, func() bool { return misses() > m0 })
	fast := rtspTimedLogins(t, d, []string{"quick"}, false)
	fastEnd := time.Since(start)
	select {
	case <-slowDone:
		t.Errorf("the slow login ended (after %s) before the fast one (%s after the slow one began, %s on its own): serialized?",
			slowTook.Round(time.Millisecond), fastEnd.Round(time.Millisecond), fast.total.Round(time.Millisecond))
	default:
	}
	<-slowDone
	if slowErr != nil {
		t.Fatalf("the slow login: %v", slowErr)
	}
	t.Logf("a slow argon2 login took %s; a fast one begun while it was being verified took %s and ended %s after the slow one began",
		slowTook.Round(time.Millisecond), fast.total.Round(time.Millisecond), fastEnd.Round(time.Millisecond))
}

// rtspArgon2Control runs `streamgate hash` at the logins' argon2 cost
// twice at once and twice one after another, and returns the ratio of the
// times (about 0.5 with two free CPUs, about 1 when the CPUs are busy).
func rtspArgon2Control(t *testing.T) float64 {
	t.Helper()
	run := func() { hashArgon2(t, rtspArgonPass, "--memory", "65536", "--time", "3", "--threads", "1") }
	t0 := time.Now()
	run()
	run()
	serial := time.Since(t0)
	t0 = time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(run)
	}
	wg.Wait()
	return float64(time.Since(t0)) / float64(serial)
}
