package testharness

import (
	"testing"
	"time"
)

// WaitFor polls cond every few milliseconds until it holds, and fails the
// test when timeout passes first: a generous bound on an event the test
// waits for (a hang), never a timing assertion.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	WaitEvery(t, what, timeout, 5*time.Millisecond, cond)
}

// WaitEvery is WaitFor polling every interval: for a condition that costs
// a request to the daemon (an API call, a metric scrape).
func WaitEvery(t testing.TB, what string, timeout, interval time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(interval)
	}
}
