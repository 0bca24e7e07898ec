// Package clusterlock shares the lockout state of a cluster's instances
// through etcd (README "Cluster quarantine"): the failed-login counts of
// each instance's authn.Quarantine, flushed in one batched transaction per
// interval under a lease that lets them expire, and merged back from every
// peer's records; and the cluster-wide kick of a user's sessions.
//
// Each instance writes its own count of each key (the failures it counted
// in its window), never a shared counter: no read-modify-write, no
// conflicts between instances, and a flush retried after a failure cannot
// count twice. A peer's view of a key is its own count plus the others'.
//
// Records name no user and no address: a quarantine key is a keyed hash
// (HMAC-SHA-256 with a key derived from the cluster's secret) of the name
// and the client address unit, a kick carries the keyed hash of the name.
// etcd is trusted storage, but its readers (backups, operators, other
// applications with a read grant on the prefix) then cannot list the
// attacked accounts or addresses, nor confirm a guess without the secret.
//
// etcd unreachable: each instance's quarantine goes on with its own counts
// and the peers' counts last seen (never less strict: nothing is unblocked
// because etcd is gone), unflushed counts are kept (bounded) and written
// when it returns.
package clusterlock

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/cluster"
)

// Options configure a Lock.
type Options struct {
	// Client is an etcd client to share (the cluster's); nil: the Lock
	// makes its own from Etcd and closes it on Close.
	Client *clientv3.Client
	// Etcd is the connection used when Client is nil.
	Etcd cluster.EtcdOptions
	// Prefix is the cluster's key prefix; records go under
	// Prefix/quarantine/ and Prefix/kick/.
	Prefix string
	// Name is this instance's name in the cluster (no '/').
	Name string
	// Secret is the cluster's shared secret; the keyed hashes are derived
	// from it, so every instance must have the same.
	Secret []byte
	// Interval is how often counts are flushed (one batch).
	Interval time.Duration
	// Period is the quarantine period: a record lives about as long.
	Period time.Duration
	// TrustedPeriod is how long a successful login keeps its address
	// trusted for the name (authQuarantine.trustedPeriod): a trusted
	// address record lives about as long. 0: trusted addresses are not
	// shared.
	TrustedPeriod time.Duration
	// MaxPending bounds the counts waiting for a flush (keys; default
	// 30 000). Past it new keys are counted locally only.
	MaxPending int
	// MaxPeerKeys bounds the keys of peers' records held (default 30 000).
	MaxPeerKeys int
	// OnKick ends the local sessions of the users match accepts and
	// returns how many it ended; nil: kicks are not applied.
	OnKick func(match func(user string) bool) int
	// Registerer registers the metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Logger logs; nil: discarded.
	Logger *slog.Logger
}

// Lock is one instance's side of the cluster's lockout state.
type Lock struct {
	o       Options
	client  *clientv3.Client
	ownsCli bool
	q       *authn.Quarantine
	m       *metrics
	log     *slog.Logger
	qKey    []byte // HMAC key of quarantine records
	kKey    []byte // HMAC key of kicks
	qPrefix string
	kPrefix string

	pendMu  sync.Mutex
	pending map[authn.ShareKey]count
	// trusted: trusted-address records waiting for the next flush.
	trusted map[authn.ShareKey]time.Time

	mu    sync.Mutex
	peers map[authn.ShareKey]map[string]count

	// The leases records are written under (counts; trusted addresses),
	// and when each was granted.
	lease, tlease     clientv3.LeaseID
	leaseAt, tleaseAt time.Time
	shared            bool // the last flush succeeded

	// kickWatching: kicks put from now on reach this instance.
	kickWatching atomic.Bool

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// count is one instance's failures for a key in the window begun at w.
type count struct {
	n int
	w time.Time
}

// startWait bounds the first reads of Start.
const startWait = 3 * time.Second

// Start connects q to the cluster: its counts are flushed every Interval,
// peers' records watched and merged, kicks watched. Close stops it.
func Start(o Options, q *authn.Quarantine) (*Lock, error) {
	if o.Prefix == "" || !strings.HasPrefix(o.Prefix, "/") {
		return nil, fmt.Errorf("clusterlock: prefix %q must begin with /", o.Prefix)
	}
	if o.Name == "" || strings.Contains(o.Name, "/") {
		return nil, fmt.Errorf("clusterlock: instance name %q must be set, without '/'", o.Name)
	}
	if len(o.Secret) == 0 {
		return nil, errors.New("clusterlock: no cluster secret")
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Period <= 0 {
		o.Period = time.Minute
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 30000
	}
	if o.MaxPeerKeys <= 0 {
		o.MaxPeerKeys = 30000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Lock{o: o, q: q, client: o.Client, m: newMetrics(o.Registerer), log: o.Logger,
		qKey: derive(o.Secret, "quarantine"), kKey: derive(o.Secret, "kick"),
		qPrefix: strings.TrimSuffix(o.Prefix, "/") + "/quarantine/",
		kPrefix: strings.TrimSuffix(o.Prefix, "/") + "/kick/",
		pending: map[authn.ShareKey]count{}, trusted: map[authn.ShareKey]time.Time{}, peers: map[authn.ShareKey]map[string]count{}, shared: true}
	if l.client == nil {
		c, err := cluster.NewEtcdClient(o.Etcd)
		if err != nil {
			return nil, err
		}
		l.client, l.ownsCli = c, true
	}
	l.m.shared.Set(1)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	// The first reads are made here, so that an instance that starts with
	// etcd up knows its peers' counts and follows kicks once Start returns;
	// with etcd away the loops keep trying.
	sctx, scancel := context.WithTimeout(ctx, startWait)
	defer scancel()
	if q != nil {
		share := &authn.QuarantineShare{Key: l.key, Counted: l.counted}
		if o.TrustedPeriod > 0 {
			share.Trusted = l.trustedAt
		}
		q.Share(share)
		rev := l.loadQuarantine(sctx)
		l.done.Add(2)
		go l.flushLoop(ctx)
		go l.watchQuarantine(ctx, rev)
	}
	rev := l.kickRevision(sctx)
	if rev == 0 {
		l.log.Warn("etcd unreachable at start: quarantine counts locally and kicks are not received until it answers")
	}
	l.done.Add(1)
	go l.watchKicks(ctx, rev)
	return l, nil
}

// Close flushes what is pending (briefly), stops the loops and disconnects
// the quarantine; its counts stay.
func (l *Lock) Close() error {
	l.cancel()
	l.done.Wait()
	if l.q != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		l.flush(ctx)
		cancel()
		l.q.Share(nil)
	}
	if l.ownsCli {
		return l.client.Close()
	}
	return nil
}

// derive is the HMAC key for one use of the cluster's secret.
func derive(secret []byte, use string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("streamgate cluster " + use + " v1"))
	return h.Sum(nil)
}

// key is the shared key of a quarantine key (authn.QuarantineShare.Key).
func (l *Lock) key(scope authn.Scope, user string, ip netip.Addr) authn.ShareKey {
	h := hmac.New(sha256.New, l.qKey)
	var b []byte
	for _, s := range [...]string{string(scope), user} {
		b = binary.AppendUvarint(b[:0], uint64(len(s)))
		h.Write(b)
		h.Write([]byte(s))
	}
	if ip.IsValid() {
		a := ip.As16()
		h.Write(a[:])
	}
	k := authn.ShareKey{Scope: scope}
	copy(k.Hash[:], h.Sum(nil))
	return k
}

// userHash is a kick's keyed hash of a user name.
func (l *Lock) userHash(user string) []byte {
	h := hmac.New(sha256.New, l.kKey)
	h.Write([]byte(user))
	return h.Sum(nil)[:16]
}
