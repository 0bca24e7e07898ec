package e2e_test

import (
	"sync"
	"testing"
	"time"
)

// rtspArgonRunning is the gauge of argon2 verifications running now.
const rtspArgonRunning = "streamgate_auth_argon2_running"

// Logins of different argon2 users run in parallel; nothing serializes
// authentication behind one loop or lock. The daemon's own evidence
// decides, not a stopwatch (so the test holds on one CPU or a busy
// machine): with authArgon2Concurrency 2, two slow logins of different
// users begun together have their argon2 verifications running at the same
// time — streamgate_auth_argon2_running reaches 2 while both are still
// being answered. A daemon that serialized them would never get past 1.
func TestRTSPArgon2LoginsOfDifferentUsersRunInParallel(t *testing.T) {
	// A costly hash (t=15) keeps both verifications running for a long
	// while, so that the gauge is scraped many times while both run.
	slow := hashArgon2(t, rtspArgonPass, "--memory", "65536", "--time", "15", "--threads", "1")
	d := rtspArgonDaemon(t, nil, map[string]string{"slow1": slow, "slow2": slow}, "authArgon2Concurrency: 2\n")

	before := d.Metric(t, rtspArgonVerifications, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	done := make(chan struct{})
	start := time.Now()
	for i, u := range []string{"slow1", "slow2"} {
		wg.Go(func() { errs[i] = rtspDescribe(rtspURL(d, u, rtspArgonPass, "cam")) })
	}
	go func() { wg.Wait(); close(done) }()
	peak, scrapes := 0.0, 0
	deadline := time.After(60 * time.Second)
wait:
	for peak < 2 {
		select {
		case <-done:
			break wait
		case <-deadline:
			t.Fatalf("two logins not answered within 60 s")
		default:
		}
		peak = max(peak, d.Metric(t, rtspArgonRunning, nil))
		scrapes++
	}
	sawBoth := time.Since(start)
	<-done
	for i, err := range errs {
		if err != nil {
			t.Fatalf("login of slow%d: %v", i+1, err)
		}
	}
	t.Logf("%s peaked at %v over %d scrapes (the last %s after the logins began); both logins took %s",
		rtspArgonRunning, peak, scrapes, sawBoth.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if peak < 2 {
		t.Errorf("%s never reached 2 while two logins of different users were being verified (peak %v over %d scrapes): serialized?",
			rtspArgonRunning, peak, scrapes)
	}
	if got := d.Metric(t, rtspArgonVerifications, nil) - before; got != 2 {
		t.Errorf("2 logins of different users cost %v argon2 verifications, want 2", got)
	}
	if got := d.Metric(t, rtspArgonRunning, nil); got != 0 {
		t.Errorf("%s = %v once both logins were answered, want 0", rtspArgonRunning, got)
	}
}
