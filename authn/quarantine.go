package authn

import (
	"net/netip"
	"sync"
	"time"
)

// QuarantineLimits configures a Quarantine.
type QuarantineLimits struct {
	// UserLimit failures of one name within Period quarantine it (0: off).
	UserLimit int
	// IPLimit failures from one address within Period quarantine it (0: off).
	IPLimit int
	// Period is the counting window and the length of a quarantine.
	Period time.Duration
	// MaxTracked bounds the names (and, separately, the addresses) tracked.
	MaxTracked int
}

// Quarantine counts failures per user name and per client address.
//
// Unlike an LRU, a flood of other names cannot release a quarantined entry:
// an entry that is quarantined stays until its period ends; when the table is
// full, expired entries go first, then counters still below the limit, and
// if every slot holds a live quarantine the new name is not tracked (the
// per-address limit still applies to the flooding client).
type Quarantine struct {
	mu     sync.Mutex
	limits QuarantineLimits
	users  map[string]*strike
	ips    map[netip.Addr]*strike
	now    func() time.Time
}

type strike struct {
	failures    int
	windowStart time.Time
	until       time.Time // quarantined until; zero if not
}

// NewQuarantine creates an empty quarantine.
func NewQuarantine(l QuarantineLimits) *Quarantine {
	return &Quarantine{limits: l, users: map[string]*strike{}, ips: map[netip.Addr]*strike{}, now: time.Now}
}

// SetLimits applies new limits (a reload) and keeps what is counted.
func (q *Quarantine) SetLimits(l QuarantineLimits) {
	q.mu.Lock()
	q.limits = l
	q.mu.Unlock()
}

// Blocked reports whether user or ip is quarantined now; scope says which.
func (q *Quarantine) Blocked(user string, ip netip.Addr) (blocked bool, scope string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.users) == 0 && len(q.ips) == 0 {
		return false, ""
	}
	now := q.now()
	if s, ok := q.users[user]; ok && user != "" && now.Before(s.until) {
		return true, "user"
	}
	if s, ok := q.ips[ip]; ok && now.Before(s.until) {
		return true, "ip"
	}
	return false, ""
}

// Fail records a failed attempt by user from ip.
func (q *Quarantine) Fail(user string, ip netip.Addr) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if q.limits.UserLimit > 0 && user != "" {
		countStrike(q.users, user, q.limits.UserLimit, q.limits, now)
	}
	if q.limits.IPLimit > 0 && ip.IsValid() {
		countStrike(q.ips, ip, q.limits.IPLimit, q.limits, now)
	}
}

// Succeed forgets user's failures (the address's count stays: one good
// account must not let an address keep guessing others).
func (q *Quarantine) Succeed(user string) {
	q.mu.Lock()
	if s, ok := q.users[user]; ok && !q.now().Before(s.until) {
		delete(q.users, user)
	}
	q.mu.Unlock()
}

func countStrike[K comparable](m map[K]*strike, k K, limit int, l QuarantineLimits, now time.Time) {
	s, ok := m[k]
	if !ok {
		if len(m) >= l.MaxTracked && !makeRoom(m, now) {
			return
		}
		s = &strike{windowStart: now}
		m[k] = s
	}
	if now.Before(s.until) {
		return // already quarantined; the period is not extended
	}
	if now.Sub(s.windowStart) >= l.Period {
		s.failures, s.windowStart, s.until = 0, now, time.Time{}
	}
	s.failures++
	if s.failures >= limit {
		s.until = now.Add(l.Period)
	}
}

// makeRoom frees about a sixteenth of the table (so a full table costs
// amortised O(16) per new entry), never a slot holding a live quarantine.
func makeRoom[K comparable](m map[K]*strike, now time.Time) bool {
	want, freed := max(1, len(m)/16), 0
	for k, s := range m {
		if now.Before(s.until) {
			continue
		}
		delete(m, k)
		if freed++; freed >= want {
			break
		}
	}
	return freed > 0
}
