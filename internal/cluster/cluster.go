// Package cluster joins instances on one etcd (README "Cluster"): a
// registry of which instance publishes which path, kept under each
// instance's lease, and on-demand relays that let a reader on any instance
// read a path published on another. Readers are authenticated and
// authorized by their own instance before the hub asks the cluster for
// anything (stream.Hub.Read): an unauthenticated client makes the cluster
// spend nothing.
//
// Keys, under Options.Prefix:
//
//	instances/<name> → JSON Instance, under the instance's lease
//	paths/<path>     → the owner instance's name, under its lease
package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/instancename"
	"github.com/streamgate/streamgate/internal/redact"
	"github.com/streamgate/streamgate/protocols/source"
	"github.com/streamgate/streamgate/protocols/stream"
)

// ErrUnreachable: the cluster registry (etcd) cannot be reached now.
var ErrUnreachable = errors.New("cluster: the registry (etcd) is unreachable")

// Options are the cluster settings (internal/daemon maps cluster: onto
// them).
type Options struct {
	// Name is this instance's unique name.
	Name string
	// Etcd is the etcd connection.
	Etcd EtcdOptions
	// Prefix is the key prefix of the cluster's records (no trailing /).
	Prefix string
	// AdvertiseAddress is host:port where peers reach this instance's RTSP
	// (RTSPS with TLS) listener.
	AdvertiseAddress string
	// LeaseTTL is the lifetime of the instance's lease.
	LeaseTTL time.Duration
	// Secret is the shared secret peer credentials derive from.
	Secret []byte
	// TLS, when set, makes relays read peers over RTSPS with it (client
	// certificate, peers' CA); nil: plain RTSP.
	TLS *tls.Config
	// ReadTimeout and WriteTimeout bound a relay's reads and writes.
	ReadTimeout, WriteTimeout time.Duration
	// RelayStartTimeout bounds a reader's wait for a relay to start;
	// RelayCloseAfter is how long a relay runs after its last reader
	// (defaults of the paths' RelayTimings; 10 s when not set).
	RelayStartTimeout, RelayCloseAfter time.Duration
}

// Instance is one registered instance.
type Instance struct {
	// Name is the instance's name.
	Name string `json:"name"`
	// Address is where peers reach its RTSP listener.
	Address string `json:"address"`
	// Since is when the instance started.
	Since time.Time `json:"since"`
}

// Cluster is this instance's membership.
type Cluster struct {
	o       Options
	client  *clientv3.Client
	hub     *stream.Hub
	sources *source.Metrics
	metrics *metrics
	logger  *slog.Logger
	since   time.Time

	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	up      atomic.Bool  // the lease is held and the registry watched
	lease   atomic.Int64 // the current lease (0: none)
	version atomic.Uint64

	// opMu serializes path claims and releases (and their etcd writes).
	opMu  sync.Mutex
	owned map[string]int // paths published here → local publishers

	mu        sync.Mutex
	instances map[string]Instance
	paths     map[string]string // path → owner
	relays    map[string]*relay
}

// New makes the cluster membership of o; nothing is written to etcd until
// Start. hub is where relays publish; m counts them as sources.
func New(o Options, hub *stream.Hub, m *source.Metrics, reg prometheus.Registerer, logger *slog.Logger) (*Cluster, error) {
	if o.Name == "" || o.AdvertiseAddress == "" || o.LeaseTTL < 2*time.Second || len(o.Secret) == 0 {
		return nil, errors.New("cluster: name, advertiseAddress, a lease TTL of 2s or more and a secret are needed")
	}
	if !instancename.Valid(o.Name) {
		return nil, fmt.Errorf("cluster: instance name %q: only letters, digits and _-. are allowed (a host name)", o.Name)
	}
	o.Prefix = strings.TrimRight(o.Prefix, "/")
	if o.RelayStartTimeout <= 0 {
		o.RelayStartTimeout = 10 * time.Second
	}
	if o.RelayCloseAfter <= 0 {
		o.RelayCloseAfter = 10 * time.Second
	}
	client, err := NewEtcdClient(o.Etcd)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = source.NewMetrics(reg)
	}
	return &Cluster{o: o, client: client, hub: hub, sources: m, metrics: newMetrics(reg), logger: logger, since: time.Now(),
		owned: map[string]int{}, instances: map[string]Instance{}, paths: map[string]string{}, relays: map[string]*relay{}}, nil
}

// Name is this instance's name.
func (c *Cluster) Name() string { return c.o.Name }

// Client is the cluster's etcd client (shared with the cluster quarantine).
func (c *Cluster) Client() *clientv3.Client { return c.client }

// Lease is the instance's current lease, 0 while it holds none (etcd
// unreachable). It changes when the lease is granted again.
func (c *Cluster) Lease() clientv3.LeaseID { return clientv3.LeaseID(c.lease.Load()) }

// Up reports whether the instance holds its lease and watches the registry.
func (c *Cluster) Up() bool { return c.up.Load() }

// Version changes whenever the registered instances change.
func (c *Cluster) Version() uint64 { return c.version.Load() }

// SetAdvertiseAddress replaces the advertised address before Start (the
// daemon's once its listener bound an ephemeral port).
func (c *Cluster) SetAdvertiseAddress(addr string) { c.o.AdvertiseAddress = addr }

// Start joins the cluster in the background: lease, instance record,
// registry watch; then keeps them, granting a new lease and registering
// again after etcd comes back.
func (c *Cluster) Start() {
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.done = make(chan struct{})
	go c.run()
}

// Close leaves the cluster: relays stop, the lease is revoked (its keys
// go at once), the client closes.
func (c *Cluster) Close() {
	c.closeOnce.Do(c.close)
}

func (c *Cluster) close() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	c.mu.Lock()
	relays := map[string]*relay{}
	for name := range c.relays {
		relays[name] = c.retireLocked(name)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for name, r := range relays {
		wg.Go(func() { c.stopRelay(name, r) }) // a slow peer does not hold up the others
	}
	wg.Wait()
	if id := c.Lease(); id != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = c.client.Revoke(ctx, id)
		cancel()
	}
	_ = c.client.Close()
}

func (c *Cluster) key(kind, name string) string { return c.o.Prefix + "/" + kind + "/" + name }

// opTimeout bounds one etcd operation of the registry.
func (c *Cluster) opTimeout() time.Duration { return min(3*time.Second, c.o.LeaseTTL) }

func (c *Cluster) setUp(up bool) {
	if c.up.Swap(up) != up {
		if up {
			c.metrics.up.Set(1)
			c.logger.Info("cluster registry up", "lease_ttl", c.o.LeaseTTL)
		} else {
			c.metrics.up.Set(0)
			c.logger.Warn("cluster registry unreachable: local streams go on, remote reads are refused until etcd is back")
		}
	}
}

func (c *Cluster) run() {
	defer close(c.done)
	for c.ctx.Err() == nil {
		if err := c.session(); err != nil && c.ctx.Err() == nil {
			c.metrics.etcdErrs.Inc()
			c.logger.Warn("cluster registry session ended; joining again", "error", redact.Error(err))
		}
		c.setUp(false)
		c.lease.Store(0)
		select {
		case <-c.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// session holds one lease: it registers the instance and its paths, loads
// and watches the registry, and returns when the lease or the watch is
// lost.
func (c *Cluster) session() error {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	op, opCancel := context.WithTimeout(ctx, c.opTimeout())
	g, err := c.client.Grant(op, int64((c.o.LeaseTTL+time.Second-1)/time.Second))
	opCancel()
	if err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	c.lease.Store(int64(g.ID))
	rec, _ := json.Marshal(Instance{Name: c.o.Name, Address: c.o.AdvertiseAddress, Since: c.since})
	op, opCancel = context.WithTimeout(ctx, c.opTimeout())
	_, err = c.client.Put(op, c.key("instances", c.o.Name), string(rec), clientv3.WithLease(g.ID))
	opCancel()
	if err != nil {
		return fmt.Errorf("instance record: %w", err)
	}
	ka, err := c.client.KeepAlive(ctx, g.ID)
	if err != nil {
		return fmt.Errorf("keepalive: %w", err)
	}
	// The registry is two key ranges, read at one revision and watched
	// from the next; the rest of the prefix (the shared quarantine's
	// records, kicks) is not this loop's business, and a guessing flood
	// writes plenty of it.
	instances, paths := c.o.Prefix+"/instances/", c.o.Prefix+"/paths/"
	op, opCancel = context.WithTimeout(ctx, c.opTimeout())
	txn, err := c.client.Txn(op).Then(clientv3.OpGet(instances, clientv3.WithPrefix()), clientv3.OpGet(paths, clientv3.WithPrefix())).Commit()
	opCancel()
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	var kvs []*mvccpb.KeyValue
	for _, r := range txn.Responses {
		kvs = append(kvs, r.GetResponseRange().Kvs...)
	}
	c.load(kvs)
	wctx := clientv3.WithRequireLeader(ctx)
	from := clientv3.WithRev(txn.Header.Revision + 1)
	watchInstances := c.client.Watch(wctx, instances, clientv3.WithPrefix(), from)
	watchPaths := c.client.Watch(wctx, paths, clientv3.WithPrefix(), from)
	c.reclaim()
	c.setUp(true)
	lastKA := time.Now()
	tick := time.NewTicker(c.o.LeaseTTL / 6)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-ka:
			if !ok {
				return errors.New("lease lost")
			}
			lastKA = time.Now()
			if !c.up.Load() {
				c.reclaim()
				c.setUp(true)
			}
		case wr, ok := <-watchInstances:
			if err := c.applyWatch(wr, ok); err != nil {
				return err
			}
		case wr, ok := <-watchPaths:
			if err := c.applyWatch(wr, ok); err != nil {
				return err
			}
		case <-tick.C:
			// Keep-alives go every TTL/3; none answered for 2/3 of the
			// TTL: etcd is out of reach, the registry may be stale.
			if time.Since(lastKA) > c.o.LeaseTTL*2/3 {
				c.setUp(false)
			}
		}
	}
}

// applyWatch applies one watch response; an error ends the session (the
// watch ended or failed).
func (c *Cluster) applyWatch(wr clientv3.WatchResponse, ok bool) error {
	if !ok {
		return errors.New("watch ended")
	}
	if err := wr.Err(); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	for _, ev := range wr.Events {
		c.apply(ev.Type == clientv3.EventTypeDelete, string(ev.Kv.Key), ev.Kv.Value)
	}
	return nil
}

// load brings the cache to a snapshot of the registry in place: every
// record of the snapshot is applied, then every cached one it lacks is
// deleted. The cache is never empty meanwhile, so peers' credentials
// (IsPeer) keep working across a watch restart.
func (c *Cluster) load(kvs []*mvccpb.KeyValue) {
	seen := map[string]bool{}
	for _, kv := range kvs {
		seen[string(kv.Key)] = true
		c.apply(false, string(kv.Key), kv.Value)
	}
	var gone []string
	c.mu.Lock()
	for name := range c.instances {
		if k := c.key("instances", name); !seen[k] {
			gone = append(gone, k)
		}
	}
	for path := range c.paths {
		if k := c.key("paths", path); !seen[k] {
			gone = append(gone, k)
		}
	}
	c.mu.Unlock()
	for _, k := range gone {
		c.apply(true, k, nil)
	}
	c.version.Add(1)
}

// apply updates the cache with one registry change and acts on it: a relay
// whose owner went or changed stops (its readers end; the next reader
// relays from the new owner); a local publisher whose path another
// instance took over ends.
func (c *Cluster) apply(deleted bool, key string, value []byte) {
	rest, ok := strings.CutPrefix(key, c.o.Prefix+"/")
	if !ok {
		return
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" {
		return
	}
	switch kind {
	case "instances":
		var in Instance
		if !deleted && !validInstance(name, value, &in) {
			// A malformed record (another writer, another version) names
			// no instance: only this key is dropped, and what it said
			// before is forgotten rather than trusted.
			c.malformed(key)
			deleted = true
		}
		if !deleted && name == c.o.Name && (in.Address != c.o.AdvertiseAddress || !in.Since.Equal(c.since)) {
			// Not this process's record: another instance runs with this
			// name (peers now reach it, not this one).
			c.metrics.etcdErrs.Inc()
			c.logger.Error("another instance registered this instance's name; cluster.name must be unique", "address", in.Address)
		}
		c.mu.Lock()
		if deleted {
			delete(c.instances, name)
		} else {
			c.instances[name] = in
		}
		c.countLocked()
		c.mu.Unlock()
		c.version.Add(1)
	case "paths":
		owner := string(value)
		if authz.CheckPathName(name) != nil {
			c.malformed(key) // no path of any listener: nothing reads it
			return
		}
		if !deleted && !instancename.Valid(owner) {
			c.malformed(key)
			deleted = true
		}
		c.mu.Lock()
		known := true
		if !deleted {
			_, known = c.instances[owner]
		}
		if deleted {
			delete(c.paths, name)
		} else {
			c.paths[name] = owner
		}
		var r *relay
		if cur := c.relays[name]; cur != nil && (deleted || cur.peer != owner) {
			r = c.retireLocked(name)
		}
		c.countLocked()
		c.mu.Unlock()
		if r != nil {
			go c.stopRelay(name, r)
		}
		if owner != c.o.Name {
			c.opMu.Lock()
			lost := c.owned[name] > 0
			c.opMu.Unlock()
			switch {
			case !lost:
			case deleted || !known:
				// Not a takeover by a registered instance (a malformed
				// record, or a key removed by hand): the path is
				// registered again as this instance's.
				go c.reassert(name)
			default:
				c.metrics.takenOver.Inc()
				c.logger.Info("path taken over by another instance; ending the local publisher", "path", name, "owner", owner)
				go c.endLocal(name)
			}
		}
	}
}

// validInstance decodes an instance record of key name into in: JSON whose
// name is the key's, with a host:port address.
func validInstance(name string, value []byte, in *Instance) bool {
	if json.Unmarshal(value, in) != nil || in.Name != name || !instancename.Valid(name) {
		return false
	}
	host, port, err := net.SplitHostPort(in.Address)
	return err == nil && host != "" && port != ""
}

// malformed notes a registry record that is not one of the cluster's.
func (c *Cluster) malformed(key string) {
	c.metrics.etcdErrs.Inc()
	c.logger.Warn("malformed cluster registry record ignored", "key", key)
}

// reassert registers name again as this instance's when it still
// publishes it and the registry says otherwise.
func (c *Cluster) reassert(name string) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.owned[name] == 0 || !c.up.Load() || c.Owner(name) == c.o.Name {
		return
	}
	if _, err := c.putPath(name, true); err != nil {
		c.metrics.etcdErrs.Inc()
		c.logger.Warn("path not registered again", "path", name, "error", redact.Error(err))
		return
	}
	c.logger.Warn("path record removed or malformed while published here; registered again", "path", name)
}

// endLocal ends the local publisher of name (not a relay).
func (c *Cluster) endLocal(name string) {
	if p, err := c.hub.Get(name); err == nil && p.Source.Peer == "" {
		p.Close()
	}
}

// Claim is the hub's ClaimFunc: a client publisher of a path another
// instance publishes is refused (an error wrapping stream.ErrBusy), unless
// override, which takes the path over cluster-wide. A pulled source
// registers its path when free and is never refused; a relay registers
// nothing. While etcd is unreachable publishers are accepted and their
// paths registered once it is back.
func (c *Cluster) Claim(name string, src stream.SourceInfo, override bool) (func(), error) {
	if src.Peer != "" {
		return func() {}, nil
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.owned[name] > 0 {
		c.owned[name]++
		return c.releaser(name), nil
	}
	if c.up.Load() {
		owner, err := c.putPath(name, override)
		switch {
		case err != nil:
			c.metrics.etcdErrs.Inc()
			c.logger.Warn("path not registered; registering it once etcd answers", "path", name, "error", redact.Error(err))
		case owner != c.o.Name && src.Pulled:
			return func() {}, nil
		case owner != c.o.Name:
			c.metrics.refused.Inc()
			return nil, fmt.Errorf("%w (on cluster instance %s)", stream.ErrBusy, owner)
		}
	}
	c.owned[name] = 1
	c.mu.Lock()
	r := c.retireLocked(name)
	c.mu.Unlock()
	if r != nil {
		c.stopRelay(name, r) // the path is published here now
	}
	if p, err := c.hub.Get(name); err == nil && p.Source.Peer != "" {
		p.Close() // a relay whose stop is still under way (apply)
	}
	return c.releaser(name), nil
}

func (c *Cluster) releaser(name string) func() {
	var once sync.Once
	return func() { once.Do(func() { c.release(name) }) }
}

// release forgets one local publisher of name; after the last, the path
// leaves the registry (if this instance still owns it there).
func (c *Cluster) release(name string) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.owned[name]--; c.owned[name] > 0 {
		return
	}
	delete(c.owned, name)
	if !c.up.Load() {
		return // its key goes with the lease, or is overwritten
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opTimeout())
	defer cancel()
	k := c.key("paths", name)
	if _, err := c.client.Txn(ctx).If(clientv3.Compare(clientv3.Value(k), "=", c.o.Name)).Then(clientv3.OpDelete(k)).Commit(); err != nil {
		c.metrics.etcdErrs.Inc()
		c.logger.Warn("path not removed from the registry; it goes with the lease", "path", name, "error", redact.Error(err))
	}
}

// putPath registers name as this instance's under its lease unless another
// instance has it (or always, with override); it returns the owner.
// Called with opMu held.
func (c *Cluster) putPath(name string, override bool) (string, error) {
	lease := c.Lease()
	if lease == 0 {
		return "", ErrUnreachable
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opTimeout())
	defer cancel()
	k := c.key("paths", name)
	put := clientv3.OpPut(k, c.o.Name, clientv3.WithLease(lease))
	if override {
		if _, err := c.client.Put(ctx, k, c.o.Name, clientv3.WithLease(lease)); err != nil {
			return "", err
		}
		return c.o.Name, nil
	}
	resp, err := c.client.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).Then(put).Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return "", err
	}
	if resp.Succeeded {
		return c.o.Name, nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return "", errors.New("registry changed meanwhile")
	}
	owner := string(kvs[0].Value)
	if owner != c.o.Name || kvs[0].Lease == int64(lease) {
		return owner, nil
	}
	// Ours under a lease that is gone or going: under the current one.
	resp, err = c.client.Txn(ctx).If(clientv3.Compare(clientv3.Value(k), "=", c.o.Name)).Then(put).Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return "", err
	}
	if !resp.Succeeded {
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			return string(kvs[0].Value), nil
		}
		return "", errors.New("registry changed meanwhile")
	}
	return c.o.Name, nil
}

// reclaim registers again the paths published here (after a new lease,
// or etcd's return); a path another instance registered meanwhile ends
// here.
func (c *Cluster) reclaim() {
	c.opMu.Lock()
	names := make([]string, 0, len(c.owned))
	for name := range c.owned {
		names = append(names, name)
	}
	var lost []string
	for _, name := range names {
		owner, err := c.putPath(name, false)
		if err != nil {
			c.metrics.etcdErrs.Inc()
			c.logger.Warn("path not registered again", "path", name, "error", redact.Error(err))
			continue
		}
		if owner != c.o.Name {
			lost = append(lost, name)
			c.logger.Warn("path registered by another instance while etcd was unreachable; ending the local publisher", "path", name, "owner", owner)
		}
	}
	c.dropStale()
	c.opMu.Unlock()
	for _, name := range lost {
		c.metrics.takenOver.Inc()
		go c.endLocal(name)
	}
}

// dropStale removes the registry's paths that name this instance but are
// published here no more, under another lease than the current one: those
// of a previous run that died (they would otherwise send peers' readers
// here until that lease expires), or released while etcd was unreachable.
// Called with opMu held.
func (c *Cluster) dropStale() {
	lease := c.Lease()
	if lease == 0 {
		return
	}
	var stale []string
	c.mu.Lock()
	for path, owner := range c.paths {
		if owner == c.o.Name && c.owned[path] == 0 {
			stale = append(stale, path)
		}
	}
	c.mu.Unlock()
	for _, path := range stale {
		ctx, cancel := context.WithTimeout(c.ctx, c.opTimeout())
		k := c.key("paths", path)
		_, err := c.client.Txn(ctx).If(clientv3.Compare(clientv3.Value(k), "=", c.o.Name),
			clientv3.Compare(clientv3.LeaseValue(k), "!=", lease)).Then(clientv3.OpDelete(k)).Commit()
		cancel()
		if err != nil {
			c.metrics.etcdErrs.Inc()
			c.logger.Warn("stale path not removed from the registry; it goes with its lease", "path", path, "error", redact.Error(err))
			return
		}
		c.logger.Info("stale path of this instance removed from the registry", "path", path)
	}
}

// IsPeer reports whether ip is an address of the registered instance name
// (another than this one): the host of its advertised address, resolved
// when it is a name.
func (c *Cluster) IsPeer(name string, ip netip.Addr) bool {
	if name == c.o.Name {
		return false
	}
	c.mu.Lock()
	in, ok := c.instances[name]
	c.mu.Unlock()
	if !ok || !ip.IsValid() {
		return false
	}
	host, _, err := net.SplitHostPort(in.Address)
	if err != nil {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap() == ip.Unmap()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(addrs, func(a netip.Addr) bool { return a.Unmap() == ip.Unmap() })
}

// PeerAuth configures the authentication pipeline's peer backend
// (authn.NewPeer) with the cluster's secret and registered instances.
func (c *Cluster) PeerAuth() authn.PeerConfig {
	return authn.PeerConfig{Secret: c.o.Secret, IsPeer: c.IsPeer, Version: c.Version, RequireClientCert: c.o.TLS != nil}
}

// Owner is the instance the registry says publishes path ("": none).
func (c *Cluster) Owner(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

// Member is one instance in the API (GET /v3/cluster/list).
type Member struct {
	Name    string    `json:"name"`
	Address string    `json:"address"`
	State   string    `json:"state"`
	Paths   []string  `json:"paths"`
	Since   time.Time `json:"since"`
}

// Members lists the registered instances, by name, with their paths;
// ErrUnreachable while etcd is out of reach (the cache may be stale).
func (c *Cluster) Members() ([]Member, error) {
	if !c.up.Load() {
		return nil, ErrUnreachable
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	byName := map[string]*Member{}
	out := make([]Member, 0, len(c.instances))
	for _, in := range c.instances {
		out = append(out, Member{Name: in.Name, Address: in.Address, State: "online", Paths: []string{}, Since: in.Since})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for path, owner := range c.paths {
		if m := byName[owner]; m != nil {
			m.Paths = append(m.Paths, path)
		}
	}
	for i := range out {
		sort.Strings(out[i].Paths)
	}
	return out, nil
}

// relay is a peer's path read for this instance's readers. The hub starts
// it at the first reader and stops it CloseAfter after the last, and may
// start it again; the cluster retires it for good when the registry no
// longer backs it (retired, then stopRelay).
type relay struct {
	c      *Cluster
	name   string
	peer   string
	runner *source.Runner

	op      sync.Mutex // serializes the runner's starts and stops
	retired bool       // guarded by c.mu: taken out of c.relays for good
}

// Start starts the relay unless it was retired: a reader's Start that
// comes after the registry retired the relay (the hub calls it outside its
// lock) must not leave a runner nobody stops.
func (r *relay) Start() {
	r.op.Lock()
	defer r.op.Unlock()
	r.c.mu.Lock()
	retired := r.retired
	if !retired && r.c.relays[r.name] == nil {
		r.c.relays[r.name] = r // started again by the hub after a Stop
		r.c.countLocked()
	}
	r.c.mu.Unlock()
	if !retired {
		r.runner.Start()
	}
}

// Stop is the hub's: no reader for CloseAfter.
func (r *relay) Stop() {
	r.op.Lock()
	defer r.op.Unlock()
	r.runner.Stop()
	r.c.mu.Lock()
	if r.c.relays[r.name] == r {
		delete(r.c.relays, r.name)
		r.c.countLocked()
	}
	r.c.mu.Unlock()
}

// retireLocked takes name's relay out of c.relays for good and returns it
// (nil: none). Called with c.mu held; the caller then calls stopRelay.
func (c *Cluster) retireLocked(name string) *relay {
	r := c.relays[name]
	if r != nil {
		r.retired = true
		delete(c.relays, name)
		c.countLocked()
	}
	return r
}

// countLocked sets the registry gauges from the cache (c.mu held).
func (c *Cluster) countLocked() {
	c.metrics.instances.Set(float64(len(c.instances)))
	c.metrics.paths.Set(float64(len(c.paths)))
	c.metrics.running.Set(float64(len(c.relays)))
}

// stopRelay ends a retired relay: readers waiting for it give up, the
// publication ends (its readers are dropped).
func (c *Cluster) stopRelay(name string, r *relay) {
	c.hub.RemoveDemandOf(name, r)
	r.op.Lock()
	defer r.op.Unlock()
	r.runner.Stop()
}

// RelayTimings are a relay's timings for one path (the daemon maps the
// path's sourceOnDemandStartTimeout and sourceOnDemandCloseAfter onto
// them); zero or negative: Options' RelayStartTimeout and RelayCloseAfter.
type RelayTimings struct {
	// StartTimeout bounds a reader's wait for the relay to start.
	StartTimeout time.Duration
	// CloseAfter is how long the relay runs after its last reader.
	CloseAfter time.Duration
}

// Demand is the hub's DemandFunc for a path nobody publishes here: when the
// registry names another instance, one on-demand relay over RTSP(S) with
// the peer credential, shared by every reader here and stopped t.CloseAfter
// after the last. While the registry is unreachable the reader is refused
// with stream.ErrUnavailable. It runs under the hub's lock and does not
// call the hub.
// RelayQuery marks a relay's read of its owner (the query of its URL): the
// owner serves it from a local publisher only and never relays it onward, so
// two registries that disagree for a moment cannot chain relays. A client
// that adds it to its own URL only forgoes a relay.
const RelayQuery = "streamgate_relay=1"

// IsRelay reports whether a read's query is a peer's relay (RelayQuery).
func IsRelay(query string) bool {
	q, err := url.ParseQuery(query)
	return err == nil && q.Get("streamgate_relay") == "1"
}

func (c *Cluster) Demand(name string, t RelayTimings) (stream.Demand, stream.DemandOptions, bool) {
	if !c.up.Load() {
		c.metrics.refused.Inc()
		return nil, stream.DemandOptions{Refusal: fmt.Errorf("%w: %w", stream.ErrUnavailable, ErrUnreachable)}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	owner := c.paths[name]
	in, ok := c.instances[owner]
	if owner == "" || owner == c.o.Name || !ok {
		return nil, stream.DemandOptions{}, false
	}
	scheme := "rtsp"
	if c.o.TLS != nil {
		scheme = "rtsps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(authn.PeerUser(c.o.Name), authn.PeerPassword(c.o.Secret, c.o.Name)),
		Host: in.Address, Path: "/" + name, RawQuery: RelayQuery}
	tlsCfg := c.o.TLS
	if tlsCfg != nil {
		tlsCfg = tlsCfg.Clone()
		if host, _, err := net.SplitHostPort(in.Address); err == nil && tlsCfg.ServerName == "" {
			tlsCfg.ServerName = host
		}
	}
	runner, err := source.New(source.Options{Path: name, URL: u.String(), RTSPTransport: "tcp", Peer: owner, TLS: tlsCfg,
		ReadTimeout: c.o.ReadTimeout, WriteTimeout: c.o.WriteTimeout}, c.hub, c.sources, c.logger)
	if err != nil {
		return nil, stream.DemandOptions{}, false
	}
	if old := c.retireLocked(name); old != nil {
		go c.stopRelay(name, old) // one the hub forgot without stopping it
	}
	r := &relay{c: c, name: name, peer: owner, runner: runner}
	c.relays[name] = r
	c.countLocked()
	c.metrics.relays.Inc()
	if t.StartTimeout <= 0 {
		t.StartTimeout = c.o.RelayStartTimeout
	}
	if t.CloseAfter <= 0 {
		t.CloseAfter = c.o.RelayCloseAfter
	}
	return r, stream.DemandOptions{OnDemand: true, StartTimeout: t.StartTimeout, CloseAfter: t.CloseAfter, State: runner.State}, true
}
