package authn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// Waiters are served round-robin across addresses: one client with many
// waiting verifications does not make another wait behind all of them.
func TestFairQueueRoundRobin(t *testing.T) {
	q := newFairQueue(1, 3, 100)
	ctx := context.Background()
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	if err := q.acquire(ctx, a); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 10)
	start := func(addr netip.Addr, name string) {
		queued := q.waiters()
		go func() {
			if err := q.acquire(ctx, addr); err != nil {
				order <- name + ": " + err.Error()
				return
			}
			order <- name
		}()
		for q.waiters() == queued { // wait until it queued
			time.Sleep(time.Millisecond)
		}
	}
	start(a, "a1")
	start(a, "a2")
	start(a, "a3")
	if err := q.acquire(ctx, a); !errors.Is(err, errQueueFull) {
		t.Fatalf("a 4th waiter of one address: %v, want errQueueFull", err)
	}
	start(b, "b1")
	var got []string
	for range 4 {
		q.release()
		got = append(got, <-order)
	}
	if want := []string{"a1", "b1", "a2", "a3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("served %v, want %v", got, want)
	}
	q.release()
	if q.free != 1 || q.total != 0 || len(q.order) != 0 {
		t.Errorf("after all: free %d, waiting %d, order %v", q.free, q.total, q.order)
	}
}

// A waiter whose context ends leaves the queue; the slot goes to the next.
func TestFairQueueCancel(t *testing.T) {
	q := newFairQueue(1, 3, 100)
	a := netip.MustParseAddr("192.0.2.1")
	if err := q.acquire(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.acquire(ctx, a); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	q.release()
	if q.free != 1 || q.total != 0 || len(q.waiting) != 0 || len(q.order) != 0 {
		t.Errorf("after a cancelled waiter: free %d, waiting %d", q.free, q.total)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testQuarantine(l QuarantineLimits) (*Quarantine, *clock) {
	c := &clock{t: time.Unix(1e9, 0)}
	q := NewQuarantine(l)
	q.now = c.now
	return q, c
}

// The owner's recent address is exempt from her name's ceiling and from
// the address quarantine, not from the pair quarantine; other addresses
// are not exempt; the exemption ends after TrustedPeriod.
func TestQuarantineTrustedAddresses(t *testing.T) {
	q, c := testQuarantine(QuarantineLimits{PairLimit: 3, UserLimit: 5, IPLimit: 4, Period: time.Minute,
		MaxTracked: 100, TrustedAddresses: 2, TrustedPeriod: time.Hour})
	home, attacker, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	q.Succeed("owner", home)
	for i := range 5 {
		q.Fail("owner", true, attacker, uint64(i))
	}
	if b, s := q.Blocked("owner", attacker); !b || s != ScopeUserIP {
		t.Errorf("attacker's address: %v %s, want user_ip", b, s)
	}
	if b, s := q.Blocked("owner", other); !b || s != ScopeUser {
		t.Errorf("an address new to the name: %v %s, want user", b, s)
	}
	if b, s := q.Blocked("owner", home); b {
		t.Errorf("owner's recent address: blocked (%s)", s)
	}
	// One guesser at the owner's address: guesses of other names
	// quarantine the address for everyone but the owner.
	for i := range 4 {
		q.Fail(fmt.Sprintf("ghost-%d", i), false, home, uint64(100+i))
	}
	if b, s := q.Blocked("newcomer", home); !b || s != ScopeIP {
		t.Errorf("a name new to the quarantined address: %v %s, want ip", b, s)
	}
	if b, _ := q.Blocked("owner", home); b {
		t.Errorf("owner at her quarantined address: blocked")
	}
	c.t = c.t.Add(30 * time.Second)
	for i := range 3 {
		q.Fail("owner", true, home, uint64(200+i))
	}
	if b, s := q.Blocked("owner", home); !b || s != ScopeUserIP {
		t.Errorf("three wrong passwords from the owner's address: %v %s, want user_ip", b, s)
	}
	c.t = c.t.Add(2 * time.Hour)
	q.Fail("owner", true, attacker, 300)
	for i := range 5 {
		q.Fail("owner", true, other, uint64(400+i))
	}
	if b, s := q.Blocked("owner", home); !b || s != ScopeUser {
		t.Errorf("after TrustedPeriod: %v %s, want user", b, s)
	}
}

// The same credentials again are no new failure of the name or of the
// address; of the (name, address) pair every attempt is one (seed 001).
func TestQuarantineCountsDistinctCredentials(t *testing.T) {
	q, _ := testQuarantine(QuarantineLimits{PairLimit: 3, UserLimit: 5, IPLimit: 4, Period: time.Minute, MaxTracked: 100})
	ip, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	fp := fingerprint(Credentials{User: "owner", Pass: "old-password"})
	q.Fail("owner", true, ip, fp)
	q.Repeat("owner", ip)
	if b, _ := q.Blocked("owner", ip); b {
		t.Fatal("blocked after two attempts, PairLimit 3")
	}
	if !q.Repeat("owner", ip) {
		t.Error("the third attempt of the pair did not start a quarantine")
	}
	if b, s := q.Blocked("owner", ip); !b || s != ScopeUserIP {
		t.Fatalf("one wrong password three times from one address: %v %s, want user_ip", b, s)
	}
	// From elsewhere, the repeats counted once for the name and the address.
	for range 1000 {
		q.Fail("owner", true, other, fp)
	}
	if b, s := q.Blocked("owner", netip.MustParseAddr("192.0.2.3")); b {
		t.Fatalf("one wrong password repeated: the name is blocked (%s)", s)
	}
	if fp == fingerprint(Credentials{User: "owner", Pass: "old-passworD"}) {
		t.Fatal("two passwords share a fingerprint")
	}
}

// A full table keeps its counting entries: new keys go untracked instead.
func TestQuarantineFullTableKeepsCounting(t *testing.T) {
	q, c := testQuarantine(QuarantineLimits{PairLimit: 3, Period: time.Minute, MaxTracked: 10})
	ip := netip.MustParseAddr("192.0.2.1")
	q.Fail("victim", true, ip, 1)
	untracked := 0
	for i := range 100 {
		if q.Fail(fmt.Sprintf("name-%d", i), true, ip, uint64(10+i)).Untracked {
			untracked++
		}
	}
	if untracked != 91 {
		t.Errorf("%d of 100 new names untracked in a table of 10, want 91", untracked)
	}
	q.Fail("victim", true, ip, 2)
	q.Fail("victim", true, ip, 3)
	if b, _ := q.Blocked("victim", ip); !b {
		t.Fatal("the victim's counter was flushed by other names")
	}
	c.t = c.t.Add(2 * time.Minute) // every window is over: room again
	if q.Fail("late", true, ip, 4).Untracked {
		t.Error("a new name after every window ended went untracked")
	}
}
