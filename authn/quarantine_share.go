package authn

import (
	"net/netip"
	"time"
)

// ShareKey names one counted key of a Quarantine — a (name, address) pair,
// a name or an address — among the instances of a cluster without naming
// it: its scope and a keyed hash of the name and address (the key is the
// cluster's secret, so a reader of the shared store cannot tell which
// names or addresses are attacked, nor test a guess).
type ShareKey struct {
	// Scope is the quarantine the key counts for.
	Scope Scope
	// Hash is the keyed hash of the name and the client address unit.
	Hash [16]byte
}

// QuarantineShare connects a Quarantine to the other instances of a
// cluster (internal/clusterlock): it is told what this instance counts,
// and peers' counts come back through MergePeers.
type QuarantineShare struct {
	// Key hashes a key: user is "" for ScopeIP, ip the zero Addr for
	// ScopeUser; ip is already the counted unit (an IPv4 address or an
	// IPv6 /64).
	Key func(scope Scope, user string, ip netip.Addr) ShareKey
	// Counted is told this instance's failures for k in the window begun
	// at start, after every change. It is called with the quarantine
	// locked: it must return at once and not call the Quarantine.
	Counted func(k ShareKey, failures int, start time.Time)
	// Trusted, if set, is told that a successful login made the address
	// trusted for the name (k's scope is ShareTrusted) at at; at most once
	// a quarter of TrustedPeriod per name and address. Called with the
	// quarantine locked, as Counted.
	Trusted func(k ShareKey, at time.Time)
}

// ShareTrusted is the scope of a shared key that records a trusted
// address of a name (a successful login there), not a count: with it a
// name's owner is spared the per-name quarantine on every instance, not
// only on the one she logged in through.
const ShareTrusted Scope = "trusted"

// remoteStrike is what the cluster knows of one key: peers' failures, this
// instance's own (a copy of the strike's), and a quarantine begun from
// their sum.
type remoteStrike struct {
	peers      int
	local      int
	localStart time.Time
	until      time.Time
}

// Share connects q to its cluster (nil: disconnects it and forgets the
// peers' counts). Without it a Quarantine counts alone.
func (q *Quarantine) Share(s *QuarantineShare) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.share = s
	q.remote, q.rtrust = nil, nil
	q.remoteUntil = time.Time{}
	if s != nil {
		q.remote, q.rtrust = map[ShareKey]*remoteStrike{}, map[[16]byte]time.Time{}
	}
}

// MergePeers sets the failures the cluster's other instances counted for
// k in their current windows. When they and this instance's own reach the
// scope's limit, k is quarantined here too, for Period; it reports whether
// that began a quarantine. A lower count never ends a quarantine (nor does
// a peer that stops answering): the fail-safe direction.
func (q *Quarantine) MergePeers(k ShareKey, peers int) (started bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.share == nil {
		return false
	}
	now := q.now()
	r := q.remoteLocked(k, now, peers > 0)
	if r == nil {
		return false
	}
	r.peers = peers
	local := r.local
	if now.Sub(r.localStart) >= q.limits.Period {
		local = 0
	}
	limit := q.limitOf(k.Scope)
	switch {
	case now.Before(r.until):
		return false
	case peers <= 0 || limit <= 0 || peers+local < limit:
		if peers <= 0 && local == 0 {
			delete(q.remote, k)
		}
		return false
	}
	r.until = now.Add(q.limits.Period)
	if r.until.After(q.remoteUntil) {
		q.remoteUntil = r.until
	}
	return true
}

func (q *Quarantine) limitOf(s Scope) int {
	switch s {
	case ScopeUserIP:
		return q.limits.PairLimit
	case ScopeUser:
		return q.limits.UserLimit
	case ScopeIP:
		return q.limits.IPLimit
	}
	return 0
}

// remoteLocked returns k's remote entry, creating it when create is set;
// nil when the table (bounded by 3×MaxTracked) is full of live entries.
func (q *Quarantine) remoteLocked(k ShareKey, now time.Time, create bool) *remoteStrike {
	if r, ok := q.remote[k]; ok || !create {
		return r
	}
	if len(q.remote) >= 3*max(q.limits.MaxTracked, 1) {
		for key, r := range q.remote {
			if !now.Before(r.until) && r.peers == 0 && now.Sub(r.localStart) >= q.limits.Period {
				delete(q.remote, key)
			}
		}
		if len(q.remote) >= 3*max(q.limits.MaxTracked, 1) {
			return nil
		}
	}
	r := &remoteStrike{}
	q.remote[k] = r
	return r
}

// peersLocked is the peers' count for a key about to be counted here, with
// its shared key and remote entry (nil, 0 on a lone instance; nil when the
// remote table is full).
func (q *Quarantine) peersLocked(scope Scope, user string, ip netip.Addr, now time.Time) (ShareKey, *remoteStrike, int) {
	if q.share == nil {
		return ShareKey{}, nil, 0
	}
	k := q.share.Key(scope, user, ip)
	r := q.remoteLocked(k, now, true)
	if r == nil {
		return k, nil, 0
	}
	return k, r, r.peers
}

// countedLocked tells the cluster that s, the local strike of k (remote
// entry r, nil if the table is full), counted one more failure.
func (q *Quarantine) countedLocked(k ShareKey, r *remoteStrike, s *strike) {
	if q.share == nil {
		return
	}
	if r != nil {
		r.local, r.localStart = s.failures, s.windowStart
		if s.until.After(r.until) {
			r.until = s.until // begun here: the peers' merge must not begin it again
		}
	}
	q.share.Counted(k, s.failures, s.windowStart)
}

// succeededLocked tells the cluster that the pair (user, k) is forgotten
// here (a successful login).
func (q *Quarantine) succeededLocked(user string, k netip.Addr, now time.Time) {
	if q.share == nil {
		return
	}
	key := q.share.Key(ScopeUserIP, user, k)
	if r, ok := q.remote[key]; ok {
		r.local = 0
		q.share.Counted(key, 0, now)
	}
}

// blockedRemoteLocked reports a quarantine begun from the cluster's counts
// (MergePeers), in Blocked's order of scopes.
func (q *Quarantine) blockedRemoteLocked(user string, k netip.Addr, trusted bool, now time.Time) (bool, Scope) {
	if q.share == nil {
		return false, ""
	}
	held := func(scope Scope, u string, ip netip.Addr) bool {
		r, ok := q.remote[q.share.Key(scope, u, ip)]
		return ok && now.Before(r.until)
	}
	switch {
	case user != "" && held(ScopeUserIP, user, k):
		return true, ScopeUserIP
	case user != "" && !trusted && held(ScopeUser, user, netip.Addr{}):
		return true, ScopeUser
	case k.IsValid() && !trusted && held(ScopeIP, "", k):
		return true, ScopeIP
	}
	return false, ""
}

// MergeTrust records that a peer saw a successful login of k's (name,
// address) at at (k's scope is ShareTrusted): the address is trusted for
// the name here too until at + TrustedPeriod. The table is bounded by
// MaxTracked × TrustedAddresses; when full of live entries, new ones are
// not kept (the stricter direction).
func (q *Quarantine) MergeTrust(k ShareKey, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.share == nil || k.Scope != ShareTrusted || q.limits.TrustedAddresses <= 0 {
		return
	}
	now := q.now()
	if now.Sub(at) >= q.limits.TrustedPeriod {
		return
	}
	if prev, ok := q.rtrust[k.Hash]; ok {
		if at.After(prev) {
			q.rtrust[k.Hash] = at
		}
		return
	}
	if limit := max(q.limits.MaxTracked, 1) * q.limits.TrustedAddresses; len(q.rtrust) >= limit {
		for h, t := range q.rtrust {
			if now.Sub(t) >= q.limits.TrustedPeriod {
				delete(q.rtrust, h)
			}
		}
		if len(q.rtrust) >= limit {
			return
		}
	}
	q.rtrust[k.Hash] = at
}

// trustedRemoteLocked reports whether a peer saw a successful login of
// user from k within TrustedPeriod.
func (q *Quarantine) trustedRemoteLocked(user string, k netip.Addr, now time.Time) bool {
	if q.share == nil || len(q.rtrust) == 0 || !k.IsValid() {
		return false
	}
	at, ok := q.rtrust[q.share.Key(ShareTrusted, user, k).Hash]
	return ok && now.Sub(at) < q.limits.TrustedPeriod
}

// trustedShareLocked tells the cluster of a successful login of user from
// k, whose address was last trusted at prev (zero: newly): not again
// within a quarter of TrustedPeriod.
func (q *Quarantine) trustedShareLocked(user string, k netip.Addr, prev, now time.Time) {
	if q.share == nil || q.share.Trusted == nil || (!prev.IsZero() && now.Sub(prev) < q.limits.TrustedPeriod/4) {
		return
	}
	q.share.Trusted(q.share.Key(ShareTrusted, user, k), now)
}
