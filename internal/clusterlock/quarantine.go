package clusterlock

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"

	"github.com/streamgate/streamgate/authn"
)

// maxTxnOps is how many puts one transaction carries: etcd's default
// --max-txn-ops (128). A flush of more keys is several transactions.
const maxTxnOps = 128

// record is a quarantine record's value: an instance's failures for one
// key, N, in its window begun at W (Unix seconds).
type record struct {
	N int   `json:"n"`
	W int64 `json:"w"`
}

// counted takes this instance's new count for k (under the quarantine's
// lock: it only notes it for the next flush).
func (l *Lock) counted(k authn.ShareKey, n int, start time.Time) {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	if _, ok := l.pending[k]; !ok && len(l.pending) >= l.o.MaxPending {
		l.m.dropped.Inc()
		return
	}
	l.pending[k] = count{n: n, w: start}
}

// trustedAt takes a successful login's trusted address (under the
// quarantine's lock, as counted).
func (l *Lock) trustedAt(k authn.ShareKey, at time.Time) {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	if _, ok := l.trusted[k]; !ok && len(l.trusted) >= l.o.MaxPending {
		l.m.dropped.Inc()
		return
	}
	l.trusted[k] = at
}

// recordKey is k's record of this instance: prefix/quarantine/<scope>/<hash>/<name>.
func (l *Lock) recordKey(k authn.ShareKey) string {
	return l.qPrefix + string(k.Scope) + "/" + hex.EncodeToString(k.Hash[:]) + "/" + l.o.Name
}

// parseKey reads a record's key; ok false for a key of another shape.
func (l *Lock) parseKey(key string) (k authn.ShareKey, instance string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(key, l.qPrefix), "/")
	if len(parts) != 3 || parts[2] == "" {
		return k, "", false
	}
	switch s := authn.Scope(parts[0]); s {
	case authn.ScopeUserIP, authn.ScopeUser, authn.ScopeIP, authn.ShareTrusted:
		k.Scope = s
	default:
		return k, "", false
	}
	if b, err := hex.DecodeString(parts[1]); err != nil || len(b) != len(k.Hash) {
		return k, "", false
	} else {
		copy(k.Hash[:], b)
	}
	return k, parts[2], true
}

func (l *Lock) flushLoop(ctx context.Context) {
	defer l.done.Done()
	t := time.NewTicker(l.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fctx, cancel := context.WithTimeout(ctx, max(2*time.Second, l.o.Interval))
		l.flush(fctx)
		cancel()
		l.sweep()
	}
}

// flush writes the pending counts; on failure they wait for the next one
// (a newer count of the same key replaces them).
func (l *Lock) flush(ctx context.Context) {
	l.pendMu.Lock()
	batch, trusted := l.pending, l.trusted
	if len(batch) == 0 && len(trusted) == 0 {
		l.pendMu.Unlock()
		l.checkConnection()
		return
	}
	l.pending, l.trusted = map[authn.ShareKey]count{}, map[authn.ShareKey]time.Time{}
	l.pendMu.Unlock()
	err := l.write(ctx, batch, trusted)
	if err == nil {
		l.setShared(true, nil)
		return
	}
	l.pendMu.Lock()
	requeue(l, l.pending, batch)
	requeue(l, l.trusted, trusted)
	l.pendMu.Unlock()
	if !errors.Is(err, context.Canceled) {
		l.m.flushFailures.Inc()
		l.setShared(false, err)
	}
}

// checkConnection notes, when there was nothing to flush, whether the
// etcd connection is up (it costs no request).
func (l *Lock) checkConnection() {
	switch st := l.client.ActiveConnection().GetState(); st {
	case connectivity.Ready:
		l.setShared(true, nil)
	case connectivity.TransientFailure, connectivity.Shutdown:
		l.setShared(false, fmt.Errorf("etcd connection %s", st))
	}
}

// requeue puts back into pending what a failed flush did not write,
// unless a newer value came meanwhile.
func requeue[V any](l *Lock, pending, failed map[authn.ShareKey]V) {
	for k, v := range failed {
		if _, newer := pending[k]; !newer {
			if len(pending) >= l.o.MaxPending {
				l.m.dropped.Inc()
				continue
			}
			pending[k] = v
		}
	}
}

// write puts batch in transactions of maxTxnOps under a lease that
// outlives the period by a quarter; the lease is reused for a quarter
// period, so a record lives between one and 1.25 periods after its last
// write.
func (l *Lock) write(ctx context.Context, batch map[authn.ShareKey]count, trusted map[authn.ShareKey]time.Time) error {
	if len(batch) > 0 {
		if err := l.grant(ctx, &l.lease, &l.leaseAt, l.o.Period); err != nil {
			return err
		}
	}
	if len(trusted) > 0 {
		if err := l.grant(ctx, &l.tlease, &l.tleaseAt, l.o.TrustedPeriod); err != nil {
			return err
		}
	}
	ops := make([]clientv3.Op, 0, min(len(batch)+len(trusted), maxTxnOps))
	commit := func() error {
		if len(ops) == 0 {
			return nil
		}
		_, err := l.client.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			if errors.Is(err, rpctypes.ErrLeaseNotFound) {
				l.lease, l.tlease = 0, 0 // expired while etcd was away: new ones next time
			}
			return err
		}
		l.m.flushes.Inc()
		l.m.written.Add(float64(len(ops)))
		ops = ops[:0]
		return nil
	}
	for k, c := range batch {
		v, _ := json.Marshal(record{N: c.n, W: c.w.Unix()})
		ops = append(ops, clientv3.OpPut(l.recordKey(k), string(v), clientv3.WithLease(l.lease)))
		if len(ops) == maxTxnOps {
			if err := commit(); err != nil {
				return err
			}
		}
	}
	for k, at := range trusted {
		v, _ := json.Marshal(record{W: at.Unix()})
		ops = append(ops, clientv3.OpPut(l.recordKey(k), string(v), clientv3.WithLease(l.tlease)))
		if len(ops) == maxTxnOps {
			if err := commit(); err != nil {
				return err
			}
		}
	}
	return commit()
}

// grant makes *lease a lease for records that must live period after
// their write: TTL 1.25 × period, a new lease once a quarter period old.
func (l *Lock) grant(ctx context.Context, lease *clientv3.LeaseID, at *time.Time, period time.Duration) error {
	if *lease != 0 && time.Since(*at) < period/4 {
		return nil
	}
	ttl := int64((period + period/4 + time.Second - 1) / time.Second)
	g, err := l.client.Grant(ctx, max(ttl, 2))
	if err != nil {
		return err
	}
	l.m.leases.Inc()
	*lease, *at = g.ID, time.Now()
	return nil
}

// setShared notes whether counts reach etcd, logging each change.
func (l *Lock) setShared(ok bool, err error) {
	l.mu.Lock()
	was := l.shared
	l.shared = ok
	l.mu.Unlock()
	switch {
	case ok && !was:
		l.m.shared.Set(1)
		l.log.Info("etcd reachable again: quarantine counts are shared with the cluster")
	case !ok && was:
		l.m.shared.Set(0)
		l.log.Warn("etcd unreachable: quarantine counts locally (peers' last counts kept) until it returns", "error", err)
	}
}

// loadQuarantine reads the peers' records; it returns the revision to
// watch after (0 when etcd does not answer within ctx).
func (l *Lock) loadQuarantine(ctx context.Context) int64 {
	resp, err := l.client.Get(ctx, l.qPrefix, clientv3.WithPrefix())
	if err != nil {
		return 0
	}
	l.load(resp.Kvs)
	return resp.Header.Revision
}

// watchQuarantine follows the peers' records after revision rev (0: loads
// them first), loading them again after a watch ends (compaction, etcd
// restarted).
func (l *Lock) watchQuarantine(ctx context.Context, rev int64) {
	defer l.done.Done()
	l.watchPrefix(ctx, l.qPrefix, rev, false, l.loadQuarantine, func(ev *clientv3.Event) {
		l.apply(string(ev.Kv.Key), ev.Kv.Value, ev.Type == clientv3.EventTypeDelete)
	})
}

// watchPrefix follows the keys under prefix after revision rev, handing
// each event to apply, until ctx ends. With rev 0 it first asks start
// (every second until start answers a revision). A watch that ends is
// started again 200 ms later: after the last revision seen when resume is
// set and etcd has not compacted it away, else from start.
func (l *Lock) watchPrefix(ctx context.Context, prefix string, rev int64, resume bool, start func(context.Context) int64, apply func(*clientv3.Event)) {
	for ctx.Err() == nil {
		if rev == 0 {
			gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			rev = start(gctx)
			cancel()
			if rev == 0 {
				sleep(ctx, time.Second)
				continue
			}
		}
		wch := l.client.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		for wr := range wch {
			if wr.Err() != nil {
				if wr.CompactRevision != 0 {
					rev = 0 // what was missed is gone
				}
				break
			}
			rev = wr.Header.Revision
			for _, ev := range wr.Events {
				apply(ev)
			}
		}
		if !resume {
			rev = 0
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// load replaces the peers' records with a snapshot.
func (l *Lock) load(kvs []*mvccpb.KeyValue) {
	l.mu.Lock()
	old := l.peers
	l.peers = map[authn.ShareKey]map[string]count{}
	l.mu.Unlock()
	for _, kv := range kvs {
		l.apply(string(kv.Key), kv.Value, false)
	}
	// Keys gone while the watch was down.
	for k := range old {
		l.mu.Lock()
		_, still := l.peers[k]
		l.mu.Unlock()
		if !still {
			l.q.MergePeers(k, 0)
		}
	}
}

// apply takes one record put or deleted. A malformed record is ignored
// (and counted): it affects its own key only.
func (l *Lock) apply(key string, value []byte, deleted bool) {
	k, instance, ok := l.parseKey(key)
	if !ok {
		l.m.malformed.Inc()
		return
	}
	if instance == l.o.Name {
		return // our own
	}
	if k.Scope == authn.ShareTrusted {
		var r record
		switch {
		case deleted: // expired: the time it carried ends the trust anyway
		case json.Unmarshal(value, &r) != nil || r.W <= 0:
			l.m.malformed.Inc()
		default:
			l.q.MergeTrust(k, time.Unix(r.W, 0))
		}
		return
	}
	var c count
	if !deleted {
		var r record
		if err := json.Unmarshal(value, &r); err != nil || r.N < 0 || r.N > 1<<20 {
			l.m.malformed.Inc()
			deleted = true // as if absent: what it said before is void too
		} else {
			c = count{n: r.N, w: time.Unix(r.W, 0)}
		}
	}
	l.mu.Lock()
	byInst, known := l.peers[k]
	if !known {
		if deleted {
			l.mu.Unlock()
			return
		}
		if len(l.peers) >= l.o.MaxPeerKeys {
			l.mu.Unlock()
			l.m.peerUntracked.Inc()
			return
		}
		byInst = map[string]count{}
		l.peers[k] = byInst
	}
	if deleted {
		delete(byInst, instance)
	} else {
		byInst[instance] = c
	}
	sum := l.sumLocked(k, time.Now())
	l.mu.Unlock()
	l.merge(k, sum)
}

// sumLocked is the peers' failures for k in windows not over; it drops the
// key when none is left.
func (l *Lock) sumLocked(k authn.ShareKey, now time.Time) int {
	sum := 0
	for inst, c := range l.peers[k] {
		if now.Sub(c.w) >= l.o.Period {
			delete(l.peers[k], inst)
			continue
		}
		sum += c.n
	}
	if len(l.peers[k]) == 0 {
		delete(l.peers, k)
	}
	return sum
}

func (l *Lock) merge(k authn.ShareKey, sum int) {
	if l.q.MergePeers(k, sum) {
		l.m.peerStarted.WithLabelValues(string(k.Scope)).Inc()
		l.log.Warn("quarantine started from the cluster's counts", "scope", string(k.Scope))
	}
}

// sweep forgets peers' counts whose window is over (their records may
// outlive it by a quarter period, or etcd may be away).
func (l *Lock) sweep() {
	now := time.Now()
	type change struct {
		k   authn.ShareKey
		sum int
	}
	var changed []change
	l.mu.Lock()
	for k, byInst := range l.peers {
		for _, c := range byInst {
			if now.Sub(c.w) >= l.o.Period {
				changed = append(changed, change{k, l.sumLocked(k, now)})
				break
			}
		}
	}
	l.mu.Unlock()
	for _, c := range changed {
		l.merge(c.k, c.sum)
	}
}
