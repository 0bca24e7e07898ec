package authn

import (
	"net/netip"
	"testing"
	"time"
)

// shareFixture is a Quarantine connected to a fake cluster: keys are the
// scope, name and address in clear, counts are recorded.
type shareFixture struct {
	q       *Quarantine
	counted map[ShareKey]int
}

func newShareFixture(l QuarantineLimits) *shareFixture {
	f := &shareFixture{q: NewQuarantine(l), counted: map[ShareKey]int{}}
	f.q.Share(&QuarantineShare{Key: fakeShareKey, Counted: func(k ShareKey, n int, _ time.Time) { f.counted[k] = n }})
	return f
}

func fakeShareKey(scope Scope, user string, ip netip.Addr) ShareKey {
	k := ShareKey{Scope: scope}
	copy(k.Hash[:], user+"|"+ip.String())
	return k
}

// Peers' counts and this instance's add up to the limit; a lower count
// later (a peer's record expired, etcd away) ends no quarantine; the
// per-name quarantine spares the name's trusted address.
func TestQuarantineShareMergesPeers(t *testing.T) {
	f := newShareFixture(QuarantineLimits{PairLimit: 3, UserLimit: 5, IPLimit: 100, Period: time.Minute,
		MaxTracked: 100, TrustedAddresses: 2, TrustedPeriod: time.Hour})
	ip := netip.MustParseAddr("192.0.2.1")
	home := netip.MustParseAddr("192.0.2.50")
	f.q.Succeed("alice", home)
	f.q.Fail("alice", true, ip, 1)
	if n := f.counted[fakeShareKey(ScopeUserIP, "alice", ip)]; n != 1 {
		t.Fatalf("pair count shared: %d, want 1", n)
	}
	if n := f.counted[fakeShareKey(ScopeUser, "alice", netip.Addr{})]; n != 1 {
		t.Fatalf("name count shared: %d, want 1", n)
	}
	if f.q.MergePeers(fakeShareKey(ScopeUserIP, "alice", ip), 1) {
		t.Fatal("1 + 1 < 3 began a quarantine")
	}
	if !f.q.MergePeers(fakeShareKey(ScopeUserIP, "alice", ip), 2) {
		t.Fatal("1 + 2 = 3 began no quarantine")
	}
	if b, s := f.q.Blocked("alice", ip); !b || s != ScopeUserIP {
		t.Fatalf("Blocked = %v %q, want the pair quarantine", b, s)
	}
	f.q.MergePeers(fakeShareKey(ScopeUserIP, "alice", ip), 0)
	if b, _ := f.q.Blocked("alice", ip); !b {
		t.Fatal("a lower peers' count ended the quarantine")
	}
	// The name: peers alone reach the limit.
	if !f.q.MergePeers(fakeShareKey(ScopeUser, "alice", netip.Addr{}), 4) {
		t.Fatal("1 + 4 = 5 began no name quarantine")
	}
	if b, s := f.q.Blocked("alice", netip.MustParseAddr("198.51.100.1")); !b || s != ScopeUser {
		t.Fatalf("Blocked elsewhere = %v %q, want the name quarantine", b, s)
	}
	if b, _ := f.q.Blocked("alice", home); b {
		t.Fatal("the name quarantine holds alice's trusted address")
	}
	// A failure counted with the peers' count reaching the limit begins
	// the quarantine locally, once.
	other := netip.MustParseAddr("192.0.2.2")
	f.q.MergePeers(fakeShareKey(ScopeUserIP, "bob", other), 2)
	if res := f.q.Fail("bob", true, other, 7); len(res.Started) != 1 || res.Started[0] != ScopeUserIP {
		t.Fatalf("Fail with peers at 2: started %v, want [user_ip]", res.Started)
	}
	if f.q.MergePeers(fakeShareKey(ScopeUserIP, "bob", other), 2) {
		t.Fatal("the merge began again a quarantine the failure began")
	}
}

// A peer's successful login trusts the address here; an old one does not;
// a successful login here is shared once a quarter trustedPeriod.
func TestQuarantineShareTrust(t *testing.T) {
	f := newShareFixture(QuarantineLimits{UserLimit: 2, Period: time.Minute, MaxTracked: 100,
		TrustedAddresses: 2, TrustedPeriod: time.Hour})
	var shared []time.Time
	f.q.share.Trusted = func(_ ShareKey, at time.Time) { shared = append(shared, at) }
	now := time.Now()
	f.q.now = func() time.Time { return now }
	home, old, away := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	f.q.MergeTrust(fakeShareKey(ShareTrusted, "alice", home), now.Add(-time.Minute))
	f.q.MergeTrust(fakeShareKey(ShareTrusted, "alice", old), now.Add(-2*time.Hour))
	f.q.MergePeers(fakeShareKey(ScopeUser, "alice", netip.Addr{}), 2)
	if b, _ := f.q.Blocked("alice", away); !b {
		t.Fatal("alice not quarantined by her peers' counts")
	}
	if b, _ := f.q.Blocked("alice", home); b {
		t.Fatal("alice quarantined at the address a peer trusts")
	}
	if b, _ := f.q.Blocked("alice", old); !b {
		t.Fatal("a trust older than trustedPeriod spared alice")
	}
	f.q.Succeed("bob", home)
	now = now.Add(time.Minute)
	f.q.Succeed("bob", home)
	now = now.Add(15 * time.Minute)
	f.q.Succeed("bob", home)
	if len(shared) != 2 {
		t.Fatalf("3 good logins over 16 min shared %d times, want 2 (once a quarter trustedPeriod)", len(shared))
	}
}
