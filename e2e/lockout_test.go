package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// clientFrom is a keep-alive client whose connections come from the
// loopback address ip (127.0.0.0/8 is all local on Linux).
func clientFrom(ip string, conns int) *http.Client {
	c := newClient(conns)
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

// Defect 12: an attacker who knows a name guesses it from other addresses,
// over and over. The attacker's addresses are quarantined for that name,
// and past the per-user ceiling the name is quarantined everywhere — except
// from the address the owner logged in from recently, where she still gets
// in. The quarantine start is logged as its own line and counted apart.
func TestQuarantineGuesserCannotLockOutOwner(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
authRealm: e2e-lockout
metrics: yes
authQuarantine: {failedAttemptLimit: 3, userFailedAttemptLimit: 8, period: 5m, ipFailedAttemptLimit: 50}
authInternalUsers:
- {user: owner, pass: owner-secret-12, permissions: [{action: api}]}
- {user: scraper, pass: scraper-secret-12, permissions: [{action: metrics}]}
`, testharness.WithMetricsAuth("scraper", "scraper-secret-12"))
	api := d.URL("api", "/v3/paths/list")
	right := basicAuth("owner", "owner-secret-12")
	home := clientFrom("127.0.0.1", 1)
	defer home.CloseIdleConnections()
	wantStatus(t, "owner at home before the attack", do(t, home, api, right), http.StatusOK)

	// Three rounds of five distinct guesses from each of four addresses.
	attackers := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	var wrong answer
	for round := range 3 {
		for _, ip := range attackers {
			c := clientFrom(ip, 1)
			for i := range 5 {
				wrong = do(t, c, api, basicAuth("owner", fmt.Sprintf("guess-%s-%d-%d", ip, round, i)))
				wantChallenge(t, "guess from "+ip, wrong, "e2e-lockout")
			}
			c.CloseIdleConnections()
		}
		a := do(t, home, api, right)
		wantStatus(t, fmt.Sprintf("owner at home after attack round %d", round), a, http.StatusOK)
	}
	// The attackers' addresses are quarantined for the name: the right
	// password from there is refused, with the answer a wrong one gets.
	for _, ip := range attackers {
		c := clientFrom(ip, 1)
		a := do(t, c, api, right)
		c.CloseIdleConnections()
		wantChallenge(t, "right password from the attacker's "+ip, a, "e2e-lockout")
		sameAnswer(t, "quarantined vs wrong password", a, wrong)
	}
	// Past the per-user ceiling the name is quarantined from addresses it
	// has not logged in from.
	stranger := clientFrom("127.0.0.9", 1)
	wantChallenge(t, "right password from a new address while the name is under attack", do(t, stranger, api, right), "e2e-lockout")
	stranger.CloseIdleConnections()
	wantStatus(t, "owner at home at the end", do(t, home, api, right), http.StatusOK)

	logBarrier(t, d)
	decisions := d.LogEntriesWhere("auth decision")
	if !hasDecisionFrom(decisions, "owner", "127.0.0.2", "quarantined") {
		t.Errorf("no refusal of owner from 127.0.0.2 logged with reason quarantined")
	}
	if !hasDecisionFrom(decisions, "owner", "127.0.0.9", "user quarantined") {
		t.Errorf("no refusal of owner from 127.0.0.9 logged with reason user quarantined")
	}
	started := d.LogEntriesWhere("quarantine started")
	var pair, user bool
	for _, e := range started {
		pair = pair || e["user"] == "owner" && e["ip"] == "127.0.0.2" && e["scope"] == "user_ip"
		user = user || e["user"] == "owner" && e["scope"] == "user"
	}
	if !pair || !user {
		t.Errorf("quarantine starts logged: %v; want owner from 127.0.0.2 (user_ip) and owner (user)", started)
	}
	for scope, min := range map[string]float64{"user_ip": 4, "user": 1} {
		if got := d.Metric(t, "streamgate_auth_quarantined_total", map[string]string{"scope": scope}); got < min {
			t.Errorf("streamgate_auth_quarantined_total{scope=%q} = %v, want ≥ %v", scope, got, min)
		}
	}
	assertNotLogged(t, d, "owner-secret-12")
}

// hasDecisionFrom reports whether a decision for user from ip with reason was logged.
func hasDecisionFrom(entries []map[string]any, user, ip, reason string) bool {
	for _, e := range entries {
		if e["user"] == user && e["ip"] == ip && e["reason"] == reason {
			return true
		}
	}
	return false
}

// Defect 12, the shared address (NAT): many connections repeat one wrong
// password from 127.0.0.1 while a user who logged in from 127.0.0.1 before
// keeps working. One wrong password is one failed attempt, however many
// times it is repeated (cached and shared answers are no new attempts).
func TestQuarantineRepeatedWrongPasswordDoesNotLockOutSharedAddress(t *testing.T) {
	t.Parallel()
	_, api := startQuarantineAPI(t, "e2e-nat", "failedAttemptLimit: 0, period: 5m, ipFailedAttemptLimit: 20",
		"office:office-secret-12", "newcomer:newcomer-secret-12", "victim:victim-secret-12")
	wantStatus(t, "office user before the flood", get(t, api, basicAuth("office", "office-secret-12")), http.StatusOK)

	const workers, each = 40, 15
	flood := newClient(workers)
	defer flood.CloseIdleConnections()
	legit := newClient(1)
	defer legit.CloseIdleConnections()
	var wg sync.WaitGroup
	var failed atomic.Value
	var floodDone atomic.Bool
	for range workers {
		wg.Go(func() {
			for range each {
				a, err := try(flood, api, basicAuth("victim", "the-one-wrong-password"))
				if err != nil || a.status != http.StatusUnauthorized {
					failed.Store(fmt.Sprintf("flood request: %v %d", err, a.status))
					return
				}
			}
		})
	}
	var refused, ok atomic.Int64
	var lwg sync.WaitGroup
	lwg.Go(func() {
		for !floodDone.Load() {
			a, err := try(legit, api, basicAuth("office", "office-secret-12"))
			if err != nil || a.status != http.StatusOK {
				refused.Add(1)
			} else {
				ok.Add(1)
			}
		}
	})
	wg.Wait()
	floodDone.Store(true)
	lwg.Wait()
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}
	wantStatus(t, "office user after the flood", get(t, api, basicAuth("office", "office-secret-12")), http.StatusOK)
	wantStatus(t, "a user who had not logged in from the address, after the flood", get(t, api, basicAuth("newcomer", "newcomer-secret-12")), http.StatusOK)
	if refused.Load() > 0 {
		t.Errorf("the office user was refused %d times (%d granted) during a flood of one wrong password", refused.Load(), ok.Load())
	}
	t.Logf("office user: %d granted, %d refused during %d×%d repeats of one wrong password", ok.Load(), refused.Load(), workers, each)
}

// Defect 12: a correct password refused because the path has its own
// credentials (readUser) is not a failed attempt: it does not quarantine
// the user.
func TestQuarantinePathCredentialsRefusalIsNoFailure(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
authRealm: e2e-readuser
hls: yes
authQuarantine: {failedAttemptLimit: 3, period: 5m, ipFailedAttemptLimit: 50}
authInternalUsers:
- {user: alice, pass: alice-secret-12, permissions: [{action: api}, {action: read}]}
paths:
  cam:
    readUser: viewer
    readPass: viewer-secret-12
`)
	playlist := "http://" + d.Addr("hls") + "/cam/index.m3u8"
	for i := range 6 {
		a := get(t, playlist, basicAuth("alice", "alice-secret-12"))
		if a.status != http.StatusUnauthorized && a.status != http.StatusForbidden {
			t.Fatalf("alice reading cam (readUser viewer), try %d: status %d, want a refusal", i, a.status)
		}
	}
	wantStatus(t, "alice on the API after refusals by a path's readUser", get(t, d.URL("api", "/v3/paths/list"), basicAuth("alice", "alice-secret-12")), http.StatusOK)
}

// Defect 12: the per-user counter cannot be flushed by failures of many
// other names: the victim's failures, spread over a flood of other names
// far larger than maxTracked, still quarantine her.
func TestQuarantineCounterSurvivesNameFlood(t *testing.T) {
	t.Parallel()
	d, api := startQuarantineAPI(t, "e2e-flush", "failedAttemptLimit: 3, period: 5m, ipFailedAttemptLimit: 0, maxTracked: 100",
		"victim:victim-secret-13")
	const workers, names = 16, 1500
	client := newClient(workers)
	defer client.CloseIdleConnections()
	var next atomic.Int64
	floodNames := func(n int64) {
		end := next.Load() + n
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i := next.Add(1)
					if i > end {
						return
					}
					_, _ = try(client, api, basicAuth(fmt.Sprintf("flood-%05d", i), "x"))
				}
			})
		}
		wg.Wait()
		next.Store(end)
	}
	for i := range 3 {
		wantChallenge(t, "victim's wrong password", get(t, api, basicAuth("victim", fmt.Sprintf("guess-%d", i))), "e2e-flush")
		floodNames(names / 3)
	}
	wantChallenge(t, "victim's right password after 3 failures spread over a name flood", get(t, api, basicAuth("victim", "victim-secret-13")), "e2e-flush")
	logBarrier(t, d)
	if !hasDecision(d.LogEntriesWhere("auth decision"), "victim", "quarantined") {
		t.Errorf("the victim's refusal was not logged as quarantined")
	}
}

// Defect 13: unknown users cost no argon2 run. A flood of unknown names from
// rotating addresses leaves streamgate_auth_argon2_verifications_total where
// it was, and the argon2 user still logs in.
func TestUnknownUserFloodRunsNoArgon2(t *testing.T) {
	t.Parallel()
	h := hashArgon2(t, "argon-secret-13", "--memory", "8192", "--time", "1", "--threads", "1")
	d := testharness.Start(t, fmt.Sprintf(`
metrics: yes
authQuarantine: {failedAttemptLimit: 3, period: 5m, ipFailedAttemptLimit: 50}
authInternalUsers:
- {user: hashed, pass: '%s', permissions: [{action: api}]}
- {user: scraper, pass: scraper-secret-13, permissions: [{action: metrics}]}
`, h), testharness.WithMetricsAuth("scraper", "scraper-secret-13"))
	api := d.URL("api", "/v3/paths/list")
	wantStatus(t, "argon2 user", get(t, api, basicAuth("hashed", "argon-secret-13")), http.StatusOK)
	runs := func() float64 { return d.Metric(t, "streamgate_auth_argon2_verifications_total", nil) }
	before := runs()
	if before < 1 {
		t.Fatalf("argon2 runs = %v after an argon2 login, want ≥ 1", before)
	}
	const workers, each = 20, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := clientFrom(fmt.Sprintf("127.0.3.%d", w+1), 1)
			defer c.CloseIdleConnections()
			for i := range each {
				a, err := try(c, api, basicAuth(fmt.Sprintf("ghost-%d-%d", w, i), "ghost-pass"))
				if err != nil || a.status != http.StatusUnauthorized {
					t.Errorf("unknown user from 127.0.3.%d: %v %d", w+1, err, a.status)
					return
				}
			}
		})
	}
	wg.Wait()
	if after := runs(); after != before {
		t.Errorf("argon2 runs went from %v to %v during a flood of %d unknown-user logins, want no change", before, after, workers*each)
	}
	wantStatus(t, "argon2 user after the flood", get(t, api, basicAuth("hashed", "argon-secret-13")), http.StatusOK)
}

// Defect 12: a device left running with its owner's old password retries
// it over and over. The same wrong password is one failed attempt however
// often it comes, so the owner is not quarantined: neither from her usual
// address nor from a new one.
func TestQuarantineDeviceRetryingOldPassword(t *testing.T) {
	t.Parallel()
	_, api := startQuarantineAPI(t, "e2e-device", "failedAttemptLimit: 3, period: 5m, ipFailedAttemptLimit: 50", "owner:new-secret-12")
	device := clientFrom("127.0.0.7", 1)
	defer device.CloseIdleConnections()
	for i := range 40 {
		wantChallenge(t, fmt.Sprintf("device retry %d", i), do(t, device, api, basicAuth("owner", "old-secret-12")), "e2e-device")
	}
	home := clientFrom("127.0.0.1", 1)
	defer home.CloseIdleConnections()
	wantStatus(t, "owner at home while the device retries", do(t, home, api, basicAuth("owner", "new-secret-12")), http.StatusOK)
	elsewhere := clientFrom("127.0.0.8", 1)
	defer elsewhere.CloseIdleConnections()
	wantStatus(t, "owner from a new address", do(t, elsewhere, api, basicAuth("owner", "new-secret-12")), http.StatusOK)
	// The device's own address is quarantined for her name (every repeat
	// counts there, as the Media Gateway counts a name's failures): the
	// refusal that makes the owner look for the device.
	wantChallenge(t, "owner from the device's address", do(t, device, api, basicAuth("owner", "new-secret-12")), "e2e-device")
}
