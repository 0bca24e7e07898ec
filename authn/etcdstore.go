package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/internal/redact"
)

// EtcdStore holds every user under the prefix in memory: it loads the whole
// prefix, then watches from the loaded revision, so a login costs no network
// round trip. When etcd is unreachable it keeps serving the last snapshot,
// reconnects with backoff and, once back, reloads and re-watches (also after
// a compaction cancels the watch). A malformed record refuses that user only.
type EtcdStore struct {
	cfg     EtcdConfig
	client  *clientv3.Client
	logger  *slog.Logger
	metrics *etcdMetrics

	mu       sync.RWMutex
	users    map[string]*etcdUser
	versions map[string]uint64 // bumped on every change of a user, kept after deletion
	fake     atomic.Pointer[hash.Argon2]

	synced   atomic.Bool
	onChange atomic.Pointer[func()]
	cancel   context.CancelFunc
	done     chan struct{}
}

type etcdUser struct {
	rec *EtcdRecord
	err error // malformed record: the user is refused
}

// NewEtcdStore connects (without blocking) and starts loading and watching.
func NewEtcdStore(cfg EtcdConfig, reg prometheus.Registerer, logger *slog.Logger) (*EtcdStore, error) {
	client, err := newEtcdClient(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &EtcdStore{cfg: cfg, client: client, logger: logger, metrics: newEtcdMetrics(reg),
		users: map[string]*etcdUser{}, versions: map[string]uint64{}, cancel: cancel, done: make(chan struct{})}
	go s.run(ctx)
	return s, nil
}

// OnChange makes fn run after every change of the users (a watched event or
// a reload of the whole prefix), outside the store's lock.
func (s *EtcdStore) OnChange(fn func()) { s.onChange.Store(&fn) }

func (s *EtcdStore) changed() {
	if fn := s.onChange.Load(); fn != nil {
		(*fn)()
	}
}

// Done is closed when the store is closed.
func (s *EtcdStore) Done() <-chan struct{} { return s.done }

// Synced reports whether the store holds a current snapshot (for /ready).
func (s *EtcdStore) Synced() bool { return s.synced.Load() }

// Close stops watching and closes the client.
func (s *EtcdStore) Close() error {
	s.cancel()
	<-s.done
	return s.client.Close()
}

// Len is the number of users held (malformed ones included).
func (s *EtcdStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users)
}

func (s *EtcdStore) prefix() string { return strings.TrimSuffix(s.cfg.Prefix, "/") + "/" }

// run loads and watches until ctx ends, reconnecting with backoff.
func (s *EtcdStore) run(ctx context.Context) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.syncAndWatch(ctx)
		s.synced.Store(false)
		if ctx.Err() != nil {
			return
		}
		s.metrics.reconnects.Inc()
		s.logger.Warn("etcd unavailable; serving the last snapshot and retrying", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// syncAndWatch loads the prefix, then applies watch events until the watch
// fails, etcd stops answering, or ctx ends.
func (s *EtcdStore) syncAndWatch(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	start := time.Now()
	rev, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.synced.Store(true)
	s.metrics.loadSeconds.Set(time.Since(start).Seconds())
	s.logger.Info("etcd users loaded", "users", s.Len(), "revision", rev, "took", time.Since(start))

	// The probe cancels ctx when it fails: Watch blocks until etcd
	// accepts the watch, and an outage that starts before it did would
	// otherwise keep the store "synced" until etcd is back.
	probeErr := make(chan error, 1)
	go func() {
		s.probe(ctx, probeErr)
		cancel()
	}()
	wch := s.client.Watch(clientv3.WithRequireLeader(ctx), s.prefix(), clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for {
		select {
		case err := <-probeErr:
			return err
		case resp, ok := <-wch:
			if !ok {
				return errors.New("authn/etcd: watch closed")
			}
			if err := resp.Err(); err != nil {
				return redact.Error(fmt.Errorf("authn/etcd: watch: %w", err))
			}
			if resp.Canceled {
				return errors.New("authn/etcd: watch canceled")
			}
			for _, ev := range resp.Events {
				name := strings.TrimPrefix(string(ev.Kv.Key), s.prefix())
				if ev.Type == clientv3.EventTypeDelete {
					s.apply(name, nil)
				} else {
					s.apply(name, ev.Kv.Value)
				}
			}
			if len(resp.Events) > 0 {
				s.changed()
			}
		}
	}
}

// probe notices an unreachable etcd, which a watch alone does not report.
func (s *EtcdStore) probe(ctx context.Context, out chan<- error) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := s.client.Get(pctx, s.prefix(), clientv3.WithCountOnly(), clientv3.WithSerializable())
		cancel()
		if err != nil && ctx.Err() == nil {
			out <- redact.Error(fmt.Errorf("authn/etcd: probe: %w", err))
			return
		}
	}
}

// pageSize bounds one range response while loading.
const pageSize = 10000

// load replaces the snapshot with the prefix as of one revision.
func (s *EtcdStore) load(ctx context.Context) (int64, error) {
	timeout := s.cfg.DialTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	fresh := map[string][]byte{}
	var rev int64
	key, end := s.prefix(), clientv3.GetPrefixRangeEnd(s.prefix())
	for {
		gctx, cancel := context.WithTimeout(ctx, timeout)
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := s.client.Get(gctx, key, opts...)
		cancel()
		if err != nil {
			return 0, redact.Error(fmt.Errorf("authn/etcd: load: %w", err))
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			fresh[strings.TrimPrefix(string(kv.Key), s.prefix())] = kv.Value
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	s.replace(fresh)
	s.changed()
	return rev, nil
}

// replace installs a full snapshot, bumping the version of every user that
// changed or disappeared, so their cached decisions stop counting.
func (s *EtcdStore) replace(fresh map[string][]byte) {
	users := make(map[string]*etcdUser, len(fresh))
	for name, val := range fresh {
		users[name] = s.parse(name, val)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, old := range s.users {
		if nu, ok := users[name]; !ok || !sameUser(old, nu) {
			s.versions[name]++
		}
	}
	for name := range users {
		if _, ok := s.users[name]; !ok {
			s.versions[name]++
		}
	}
	s.users = users
	s.updateFakeLocked()
}

func sameUser(a, b *etcdUser) bool {
	if a.err != nil || b.err != nil || a.rec == nil || b.rec == nil {
		return false
	}
	return a.rec.Hash.String() == b.rec.Hash.String() && a.rec.Labels.String() == b.rec.Labels.String() &&
		fmt.Sprint(a.rec.Permissions) == fmt.Sprint(b.rec.Permissions)
}

// apply installs one change; val nil deletes.
func (s *EtcdStore) apply(name string, val []byte) {
	var u *etcdUser
	if val != nil {
		u = s.parse(name, val)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u == nil {
		delete(s.users, name)
	} else {
		s.users[name] = u
	}
	s.versions[name]++
	s.metrics.updates.Inc()
	s.updateFakeLocked()
}

func (s *EtcdStore) parse(name string, val []byte) *etcdUser {
	rec, err := ParseEtcdRecord(val, s.cfg.DataFormat)
	if err != nil {
		s.metrics.malformed.Inc()
		// The record may hold a hash: log the user and the problem only.
		s.logger.Error("malformed etcd user record; the user is refused", "user", name, "error", err)
		return &etcdUser{err: err}
	}
	return &etcdUser{rec: rec}
}

func (s *EtcdStore) updateFakeLocked() {
	if s.fake.Load() != nil {
		return
	}
	for _, u := range s.users {
		if u.rec != nil {
			s.fake.Store(fakeOf(u.rec.Hash))
			return
		}
	}
}

// UserVersion implements UserVersions.
func (s *EtcdStore) UserVersion(user string) uint64 {
	s.mu.RLock()
	v := s.versions[user]
	s.mu.RUnlock()
	return v
}

func (s *EtcdStore) lookup(user string) (*etcdUser, bool) {
	s.mu.RLock()
	u, ok := s.users[user]
	s.mu.RUnlock()
	return u, ok
}
