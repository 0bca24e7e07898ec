package clusterlock

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// kickTTL is how long a kick's record stays in etcd: instances watching
// get it at once; one reconnecting within it gets it from the watch's
// history.
const kickTTL = 10 // seconds

// kick is a kick record's value: the keyed hash of the user name (U, hex)
// and the instance that asked (From).
type kick struct {
	U    string `json:"u"`
	From string `json:"from"`
}

// ErrUnavailable: etcd did not take the kick; no instance was told.
var ErrUnavailable = errors.New("clusterlock: etcd unavailable")

// Kick asks every other instance to end user's sessions: one record under
// Prefix/kick/ with a short lease, which each watches. It does not end
// this instance's sessions (the caller does, to count them). The error,
// ErrUnavailable, says that etcd did not take it within ctx (or 5 s).
func (l *Lock) Kick(ctx context.Context, user string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var id [8]byte
	_, _ = rand.Read(id[:])
	v, _ := json.Marshal(kick{U: hex.EncodeToString(l.userHash(user)), From: l.o.Name})
	g, err := l.client.Grant(ctx, kickTTL)
	if err == nil {
		_, err = l.client.Put(ctx, l.kPrefix+l.o.Name+"-"+hex.EncodeToString(id[:]), string(v), clientv3.WithLease(g.ID))
	}
	if err != nil {
		l.log.Warn("cluster kick not sent: etcd unavailable", "error", err)
		return ErrUnavailable
	}
	l.m.kicks.WithLabelValues("sent").Inc()
	return nil
}

// Match is a matcher of user names for OnKick: it accepts user.
func (l *Lock) Match(user string) func(string) bool {
	want := l.userHash(user)
	return func(u string) bool { return hmac.Equal(l.userHash(u), want) }
}

// kickRevision is the revision kicks are watched after: etcd's current
// one (0 when etcd does not answer within ctx).
func (l *Lock) kickRevision(ctx context.Context) int64 {
	resp, err := l.client.Get(ctx, l.kPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0
	}
	l.kickWatching.Store(true)
	return resp.Header.Revision
}

// watchKicks applies the kicks of other instances put after revision rev
// (0: from when etcd first answers).
func (l *Lock) watchKicks(ctx context.Context, rev int64) {
	defer l.done.Done()
	l.watchPrefix(ctx, l.kPrefix, rev, true, l.kickRevision, func(ev *clientv3.Event) {
		if ev.Type == clientv3.EventTypePut {
			l.applyKick(ev.Kv.Value)
		}
	})
}

func (l *Lock) applyKick(value []byte) {
	var k kick
	if json.Unmarshal(value, &k) != nil {
		l.m.malformed.Inc()
		return
	}
	want, err := hex.DecodeString(k.U)
	if err != nil || len(want) != 16 {
		l.m.malformed.Inc()
		return
	}
	if k.From == l.o.Name {
		return // asked here: the API handler ended ours
	}
	l.m.kicks.WithLabelValues("received").Inc()
	if l.o.OnKick == nil {
		return
	}
	n := l.o.OnKick(func(u string) bool { return u != "" && hmac.Equal(l.userHash(u), want) })
	l.m.kicked.Add(float64(n))
	l.log.Info("sessions ended by a cluster kick", "from", k.From, "sessions", n)
}
