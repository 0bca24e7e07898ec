package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// rtspArgonVerifications is the counter of argon2 runs.
const rtspArgonVerifications = "streamgate_auth_argon2_verifications_total"

// rtspArgonDaemon runs a daemon whose read users (names) all have one real
// argon2id hash (m=64 MiB, t=3, p=1, made by `streamgate hash`) of
// rtspArgonPass, and the users of more, with cam published by a Go client;
// top are more top-level config keys.
func rtspArgonDaemon(t *testing.T, names []string, more map[string]string, top string) *testharness.Daemon {
	t.Helper()
	h := hashArgon2(t, rtspArgonPass, "--memory", "65536", "--time", "3", "--threads", "1")
	var users strings.Builder
	for _, n := range names {
		fmt.Fprintf(&users, "- {user: %s, pass: '%s', permissions: [{action: read}]}\n", n, h)
	}
	for n, hash := range more {
		fmt.Fprintf(&users, "- {user: %s, pass: '%s', permissions: [{action: read}]}\n", n, hash)
	}
	d := startRTSPDaemon(t, rtspSetup{users: users.String(), top: top})
	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	rtspWaitPath(t, d, "cam", 5*time.Second, nil)
	return d
}

const rtspArgonPass = "argon-read-secret"

// rtspLogins is what rtspTimedLogins measured.
type rtspLogins struct {
	total   time.Duration   // wall time of all
	each    []time.Duration // each login's time from the common start, sorted
	readers []*rtspGoReader // with play: the playing readers, to close
}

// rtspTimedLogins runs one login per user at once, each a fresh connection
// with DESCRIBE (and, with play, SETUP and PLAY). Any failure fails the test.
func rtspTimedLogins(t *testing.T, d *testharness.Daemon, users []string, play bool) rtspLogins {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	res := rtspLogins{each: make([]time.Duration, len(users)), readers: make([]*rtspGoReader, len(users))}
	errs := make([]error, len(users))
	var t0 time.Time
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if play {
				res.readers[i], errs[i] = rtspGoRead(rtspURL(d, u, rtspArgonPass, "cam"))
			} else {
				errs[i] = rtspDescribe(rtspURL(d, u, rtspArgonPass, "cam"))
			}
			res.each[i] = time.Since(t0)
		}()
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	res.total = time.Since(t0)
	slices.Sort(res.each)
	for i, err := range errs {
		if err != nil {
			t.Errorf("login %d of %d (%s): %v", i+1, len(users), users[i], err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return res
}

// 20 RTSP readers presenting the same argon2 user's credentials at once all
// get the stream, at the cost of exactly one argon2 verification (the
// identical logins share it, later ones hit the decision cache), in about
// the time of one login. Not parallel: it measures time. A busy machine
// gets up to three rounds, each with users the cache has not seen.
func TestRTSPConcurrentArgon2LoginsShareOneVerification(t *testing.T) {
	const crowd, rounds = 20, 3
	names := []string{"warm"}
	for r := range rounds {
		names = append(names, fmt.Sprintf("solo%d", r), fmt.Sprintf("crowd%d", r))
	}
	d := rtspArgonDaemon(t, names, nil, "")
	// The daemon's first argon2 run is slower (fresh memory): not measured.
	rtspTimedLogins(t, d, []string{"warm"}, false)
	var ratio float64
	for r := range rounds {
		before := d.Metric(t, rtspArgonVerifications, nil)
		one := rtspTimedLogins(t, d, []string{fmt.Sprintf("solo%d", r)}, true)
		one.readers[0].Close()
		single := one.total
		if got := d.Metric(t, rtspArgonVerifications, nil) - before; got != 1 {
			t.Fatalf("one login cost %v argon2 verifications, want 1", got)
		}

		same := make([]string, crowd)
		for i := range same {
			same[i] = fmt.Sprintf("crowd%d", r)
		}
		before = d.Metric(t, rtspArgonVerifications, nil)
		many := rtspTimedLogins(t, d, same, true)
		total, readers := many.total, many.readers
		if got := d.Metric(t, rtspArgonVerifications, nil) - before; got != 1 {
			t.Errorf("%d identical concurrent logins cost %v argon2 verifications, want exactly 1", crowd, got)
		}
		p := rtspWaitPath(t, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.Readers == crowd })
		testharness.WaitEvery(t, "every reader receives RTP packets", 5*time.Second, 20*time.Millisecond, func() bool {
			for _, rd := range readers {
				if rd.packets.Load() == 0 {
					return false
				}
			}
			return true
		})
		for _, rd := range readers {
			rd.Close()
		}
		rtspWaitPath(t, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.Readers == 0 })

		ratio = float64(total) / float64(single)
		t.Logf("round %d: one argon2 login (DESCRIBE+SETUP+PLAY) %s; %d identical logins at once %s; ratio %.2f; readerCount %d",
			r+1, single.Round(time.Millisecond), crowd, total.Round(time.Millisecond), ratio, p.Readers)
		if ratio <= 3 {
			return
		}
	}
	t.Errorf("%d identical concurrent logins took %.2f × one login in every round, want ≤ 3", crowd, ratio)
}
