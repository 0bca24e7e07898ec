package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// QuarantineLimits configures a Quarantine (authQuarantine).
type QuarantineLimits struct {
	// PairLimit distinct failures of one name from one client address
	// within Period quarantine that name from that address (0: off).
	PairLimit int
	// UserLimit distinct failures of one name from any address within
	// Period quarantine the name, except from its trusted addresses (0: off).
	UserLimit int
	// IPLimit distinct failures from one address within Period quarantine
	// the address, except for the names trusted there (0: off).
	IPLimit int
	// Period is the counting window and the length of a quarantine.
	Period time.Duration
	// MaxTracked bounds each table: (name, address) pairs, names,
	// addresses, and names with trusted addresses.
	MaxTracked int
	// TrustedAddresses is how many addresses of a name's recent successful
	// logins are remembered (0: none).
	TrustedAddresses int
	// TrustedPeriod is how long a successful login keeps its address trusted.
	TrustedPeriod time.Duration
}

// Scope says what a quarantine holds: a name from one address, a name
// from every address but its trusted ones, or an address.
type Scope string

// The scopes, also the values of the metrics' scope label.
const (
	ScopeUserIP Scope = "user_ip"
	ScopeUser   Scope = "user"
	ScopeIP     Scope = "ip"
)

// reason is the refusal reason logged for a quarantine of scope s.
func (s Scope) reason() string {
	switch s {
	case ScopeUser:
		return ReasonUserQuarantined
	case ScopeIP:
		return ReasonIPQuarantined
	}
	return ReasonQuarantined
}

// Quarantine counts failed logins and refuses, without checking anything,
// the names and addresses that failed too often:
//
//   - per (name, address): PairLimit — the guesser's own address is stopped;
//   - per name, from all addresses: UserLimit, a much higher ceiling that
//     stops guessing spread over many addresses;
//   - per address, all names: IPLimit.
//
// The per-name and per-address quarantines do not apply to a name at an
// address it logged in from successfully within TrustedPeriod (the last
// TrustedAddresses of them): an attacker who knows a name cannot lock its
// owner out of her usual place, nor one guesser behind a NAT its office.
//
// Per name and per address a failure counts once: failures are keyed by a
// fingerprint of the credentials, and the same wrong password again (a
// device retrying an old one, one guesser behind a NAT repeating itself) is
// no new attempt there. Per (name, address) every refused attempt counts,
// repeats and decision-cache hits included (Repeat): that quarantine stops
// only the address that keeps failing for that name, as the Media Gateway's
// does for a name (seed 001: three wrong logins, then the right password is
// refused for the period). Names are counted only when a backend recognised
// them (wrong password); an unknown name counts against the address only.
//
// Tables are bounded by MaxTracked but cannot be flushed: when one is full,
// entries whose window and quarantine are over make room; if none are, the
// new key is not tracked (the other tables still hold the flooder) rather
// than a counting entry evicted.
type Quarantine struct {
	mu     sync.Mutex
	limits QuarantineLimits
	pairs  map[pairKey]*strike
	users  map[string]*strike
	ips    map[netip.Addr]*strike
	trust  *lru.Cache[string, *trustSet]
	// nextPrune: when a full table may be swept again.
	nextPrune [3]time.Time
	now       func() time.Time
	// share, remote: the cluster's side (quarantine_share.go); nil and
	// empty on a lone instance.
	share  *QuarantineShare
	remote map[ShareKey]*remoteStrike
	// rtrust: when peers last saw a successful login of a (name,
	// address), by the pair's hash.
	rtrust map[[16]byte]time.Time
	// remoteUntil: the latest end of a quarantine in remote.
	remoteUntil time.Time
}

type pairKey struct {
	user string
	ip   netip.Addr
}

// strike counts one key's distinct failures in the current window.
type strike struct {
	failures    int
	windowStart time.Time
	until       time.Time // quarantined until; zero if not
	seen        [4]uint64 // fingerprints of the latest counted failures
	nseen       int
}

type trustSet struct {
	addrs []trustedAddr
}

type trustedAddr struct {
	ip netip.Addr
	at time.Time
}

// NewQuarantine creates an empty quarantine.
func NewQuarantine(l QuarantineLimits) *Quarantine {
	trust, err := lru.New[string, *trustSet](max(l.MaxTracked, 1))
	if err != nil {
		panic(err) // size ≥ 1
	}
	return &Quarantine{limits: l, pairs: map[pairKey]*strike{}, users: map[string]*strike{},
		ips: map[netip.Addr]*strike{}, trust: trust, now: time.Now}
}

// SetLimits applies new limits (a reload) and keeps what is counted.
func (q *Quarantine) SetLimits(l QuarantineLimits) {
	q.mu.Lock()
	q.limits = l
	q.trust.Resize(max(l.MaxTracked, 1))
	q.mu.Unlock()
}

// clientKey is the unit a client address is counted in: the IPv4 address,
// or the IPv6 /64 (one host owns a whole /64 and can rotate through it).
func clientKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// Blocked reports whether user is quarantined at ip now; scope says which
// quarantine holds. user is "" when failures do not count against a name.
func (q *Quarantine) Blocked(user string, ip netip.Addr) (blocked bool, scope Scope) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now, k := q.now(), clientKey(ip)
	if len(q.pairs) == 0 && len(q.users) == 0 && len(q.ips) == 0 && !now.Before(q.remoteUntil) {
		return false, ""
	}
	if user != "" {
		if s, ok := q.pairs[pairKey{user, k}]; ok && now.Before(s.until) {
			return true, ScopeUserIP
		}
	}
	trusted := user != "" && q.trustedLocked(user, k, now)
	if user != "" && !trusted {
		if s, ok := q.users[user]; ok && now.Before(s.until) {
			return true, ScopeUser
		}
	}
	if s, ok := q.ips[k]; ok && !trusted && now.Before(s.until) {
		return true, ScopeIP
	}
	if now.Before(q.remoteUntil) {
		return q.blockedRemoteLocked(user, k, trusted, now)
	}
	return false, ""
}

func (q *Quarantine) trustedLocked(user string, k netip.Addr, now time.Time) bool {
	ts, ok := q.trust.Peek(user)
	if !ok {
		return q.trustedRemoteLocked(user, k, now)
	}
	for _, a := range ts.addrs {
		if a.ip == k && now.Sub(a.at) < q.limits.TrustedPeriod {
			return true
		}
	}
	return q.trustedRemoteLocked(user, k, now)
}

// FailResult is what one failure changed.
type FailResult struct {
	// Started lists the quarantines this failure began.
	Started []Scope
	// Untracked reports that a table was full of counting entries, so
	// that this failure could not be counted in it.
	Untracked bool
}

// Fail records a failed login of user from ip; known says whether a
// backend recognised the name (else only the address counts); fp is the
// fingerprint of the credentials (a repeated one is no new failure).
func (q *Quarantine) Fail(user string, known bool, ip netip.Addr, fp uint64) FailResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	now, k, l := q.now(), clientKey(ip), q.limits
	var res FailResult
	count := func(s *strike, limit int, scope Scope, user string, ip netip.Addr) {
		if s == nil {
			res.Untracked = true
			return
		}
		sk, r, peers := q.peersLocked(scope, user, ip, now)
		counted, started := s.count(fp, scope != ScopeUserIP, limit, peers, l.Period, now)
		if counted {
			q.countedLocked(sk, r, s)
		}
		if started {
			res.Started = append(res.Started, scope)
		}
	}
	if user != "" && known {
		if l.PairLimit > 0 {
			count(track(q, q.pairs, pairKey{user, k}, 0, now), l.PairLimit, ScopeUserIP, user, k)
		}
		if l.UserLimit > 0 {
			count(track(q, q.users, user, 1, now), l.UserLimit, ScopeUser, user, netip.Addr{})
		}
	}
	if l.IPLimit > 0 && k.IsValid() {
		count(track(q, q.ips, k, 2, now), l.IPLimit, ScopeIP, "", k)
	}
	return res
}

// Repeat records a refused attempt answered from the decision cache (the
// same wrong password again): it counts towards the (name, address)
// quarantine only. It reports whether that began a quarantine.
func (q *Quarantine) Repeat(user string, ip netip.Addr) bool {
	if user == "" || q.limits.PairLimit <= 0 {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now, k := q.now(), clientKey(ip)
	s := track(q, q.pairs, pairKey{user, k}, 0, now)
	if s == nil {
		return false
	}
	sk, r, peers := q.peersLocked(ScopeUserIP, user, k, now)
	counted, started := s.count(0, false, q.limits.PairLimit, peers, q.limits.Period, now)
	if counted {
		q.countedLocked(sk, r, s)
	}
	return started
}

// Succeed records a successful login of user from ip: the address becomes
// trusted for the name, and the pair's failures are forgotten. The name's
// and the address's counts stay (one good login must not let others keep
// guessing).
func (q *Quarantine) Succeed(user string, ip netip.Addr) {
	if user == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now, k := q.now(), clientKey(ip)
	pk := pairKey{user, k}
	if s, ok := q.pairs[pk]; ok && !now.Before(s.until) {
		delete(q.pairs, pk)
		q.succeededLocked(user, k, now)
	}
	n := q.limits.TrustedAddresses
	if n <= 0 || !k.IsValid() {
		return
	}
	ts, ok := q.trust.Get(user)
	if !ok {
		ts = &trustSet{}
		q.trust.Add(user, ts)
	}
	oldest := 0
	for i, a := range ts.addrs {
		if a.ip == k {
			q.trustedShareLocked(user, k, a.at, now)
			ts.addrs[i].at = now
			return
		}
		if a.at.Before(ts.addrs[oldest].at) {
			oldest = i
		}
	}
	if len(ts.addrs) < n {
		ts.addrs = append(ts.addrs, trustedAddr{k, now})
	} else {
		ts.addrs[oldest] = trustedAddr{k, now}
	}
	q.trustedShareLocked(user, k, time.Time{}, now)
}

// count records a failure with fingerprint fp (with dedup, one seen
// recently is no new failure), peers being the failures the cluster's other
// instances counted for the key; it reports whether the failure counted and
// whether it began a quarantine.
func (s *strike) count(fp uint64, dedup bool, limit, peers int, period time.Duration, now time.Time) (counted, started bool) {
	if now.Before(s.until) {
		return false, false // already quarantined; the period is not extended
	}
	if now.Sub(s.windowStart) >= period {
		*s = strike{windowStart: now}
	}
	for _, seen := range s.seen[:min(s.nseen, len(s.seen))] {
		if dedup && seen == fp {
			return false, false // the same credentials again: one attempt
		}
	}
	s.seen[s.nseen%len(s.seen)] = fp
	s.nseen++
	s.failures++
	if s.failures+peers >= limit {
		s.until = now.Add(period)
		return true, true
	}
	return true, false
}

// track returns k's entry in m, creating it; nil when m is full of entries
// still counting or quarantined.
func track[K comparable](q *Quarantine, m map[K]*strike, k K, table int, now time.Time) *strike {
	if s, ok := m[k]; ok {
		return s
	}
	if len(m) >= q.limits.MaxTracked {
		if now.Before(q.nextPrune[table]) {
			return nil
		}
		// One sweep frees every entry that no longer counts; if it freed
		// little, the next sweep waits a second (a full table of live
		// entries must not cost a sweep per request).
		before := len(m)
		for key, s := range m {
			if !now.Before(s.until) && now.Sub(s.windowStart) >= q.limits.Period {
				delete(m, key)
			}
		}
		if before-len(m) < max(1, before/16) {
			q.nextPrune[table] = now.Add(time.Second)
		}
		if len(m) >= q.limits.MaxTracked {
			return nil
		}
	}
	s := &strike{windowStart: now}
	m[k] = s
	return s
}

// fingerprintKey keys fingerprints; per process, so they mean nothing
// outside it.
var fingerprintKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("authn: no randomness for the fingerprint key: " + err.Error())
	}
	return k
}()

// fingerprint identifies credentials without holding them: 64 bits of an
// HMAC of the name, password, token and Digest answer. A Digest answer
// changes with every nonce, so Digest retries are each a new attempt.
func fingerprint(c Credentials) uint64 {
	h := hmac.New(sha256.New, fingerprintKey)
	var b []byte
	digest := ""
	if c.Digest != nil {
		digest = c.Digest.Response
	}
	for _, s := range [...]string{c.User, c.Pass, c.Token, digest} {
		b = binary.AppendUvarint(b[:0], uint64(len(s)))
		h.Write(b)
		h.Write([]byte(s))
	}
	return binary.LittleEndian.Uint64(h.Sum(nil))
}
