package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
)

// Reload applies c in place of the running configuration. Authentication
// changes (users, backends, permissions, realms, paths) apply at once
// without restarting any listener; a listener whose own settings changed
// (address, encryption, its options) is restarted, and only that one. Then
// every live session is asked again through the new pipeline: those no
// longer allowed are disconnected, the others are untouched.
//
// An error leaves the running configuration as it was, except for a
// listener that could not be restarted (its error is returned).
func (d *Daemon) Reload(c *config.Conf) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	old := d.conf.Load()
	// Compile and check everything before changing anything.
	if _, err := BuildPipeline(c, CheckDeps(), Resources{}); err != nil {
		return err
	}
	res := d.res
	var oldEtcd *authn.EtcdStore
	newEtcd := c.AuthMethod.Has("etcd")
	if newEtcd && (d.res.Etcd == nil || !reflect.DeepEqual(EtcdConfig(c), EtcdConfig(old))) {
		store, err := authn.NewEtcdStore(EtcdConfig(c), d.registry, d.logger.With("component", "etcd"))
		if err != nil {
			return err
		}
		// The new store must hold its users before it replaces the old
		// one, or every etcd user would be refused meanwhile.
		if !waitSynced(store, etcdSyncWait) {
			_ = store.Close()
			return fmt.Errorf("authEtcd: the new etcd store did not load its users within %s", etcdSyncWait)
		}
		d.watchEtcd(store)
		res.Etcd, oldEtcd = store, d.res.Etcd
	} else if !newEtcd {
		res.Etcd, oldEtcd = nil, d.res.Etcd
	}
	p, err := BuildPipeline(c, d.deps, res)
	if err != nil {
		if res.Etcd != d.res.Etcd {
			_ = res.Etcd.Close()
		}
		return err
	}
	d.res = res
	d.conf.Store(c)
	d.applyLimits(c)
	d.hooks.reload(c)
	oldPipeline := d.pipeline.Swap(p)
	d.startAuth()
	if oldPipeline != nil {
		_ = oldPipeline.Close()
	}
	if oldEtcd != nil {
		_ = oldEtcd.Close()
	}
	for _, key := range restartOnly(old, c) {
		d.logger.Warn("setting changed; it applies after a restart of streamgate", "key", key)
	}
	errs := d.restartChanged(old, c)
	d.syncSources(c)
	d.hub.CloseUnconfigured()
	d.recheckSessions("reload")
	if len(errs) > 0 {
		return &ListenerError{Err: errors.Join(errs...)}
	}
	return nil
}

// ListenerError: a reload was applied but a listener did not restart.
type ListenerError struct{ Err error }

func (e *ListenerError) Error() string { return "listener not restarted: " + e.Err.Error() }

func (e *ListenerError) Unwrap() error { return e.Err }

// etcdSyncWait bounds how long a reload waits for a new etcd store.
const etcdSyncWait = 10 * time.Second

// waitSynced waits until store holds a snapshot, at most max.
func waitSynced(store *authn.EtcdStore, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for !store.Synced() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// restartChanged restarts the listeners whose settings differ between old
// and c.
func (d *Daemon) restartChanged(old, c *config.Conf) []error {
	before, after := listenerSettings(old), listenerSettings(c)
	var errs []error
	restart := func(name string, stop func(), start func() error) {
		if before[name] == after[name] {
			return
		}
		d.logger.Info("restarting listener: its settings changed", "listener", name)
		stop()
		if err := start(); err != nil {
			d.logger.Error("listener not restarted", "listener", name, "error", err)
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	restart("rtsp", d.closeRTSP, func() error { return d.startRTSP(c) })
	restart("rtmp", d.closeRTMP, func() error { return d.startRTMP(c) })
	restart("srt", d.closeSRT, func() error { return d.startSRT(c) })
	for _, name := range httpListenerNames {
		restart(name, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = d.stopHTTP(ctx, name)
		}, func() error { return d.startHTTP(c, name) })
	}
	return errs
}

// listenerSettings are, per listener group (config.Listener.Group), the
// settings it is started with: what the listener table says of each of its
// listeners, the timeouts, and the group's own settings. A group restarts
// on reload when its entry changes.
func listenerSettings(c *config.Conf) map[string]string {
	j := func(v ...any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	own := map[string][]any{
		"rtsp":    {c.RTSP, c.RTSPEncryption, c.RTSPTransports, c.RTPAddress, c.RTCPAddress, c.RTSPAuthMethods},
		"rtmp":    {c.RTMP, c.RTMPEncryption},
		"gateway": {c.GatewayClientCA, c.GatewayClientCRL},
		"hls": {c.HLSVariant, c.HLSSegmentCount, c.HLSSegmentDuration, c.HLSPartDuration, c.HLSSegmentMaxSize,
			c.HLSMuxerCloseAfter, c.HLSAlwaysRemux},
		"webrtc": {c.WebRTCLocalUDPAddress, c.WebRTCIPsFromInterfaces, c.WebRTCAdditionalHosts,
			c.WebRTCIPsFromInterfacesList, c.WebRTCICEServers2, c.WebRTCHandshakeTimeout, c.WebRTCTrackGatherTimeout,
			c.WebRTCSTUNGatherTimeout},
	}
	groups := map[string][]any{}
	for _, l := range c.Listeners() {
		groups[l.Group] = append(groups[l.Group], l.Enabled, l.Addr, l.TLS, l.Cert, l.Key)
	}
	out := make(map[string]string, len(groups))
	for g, v := range groups {
		out[g] = j(append(append(v, own[g]...), c.ReadTimeout, c.WriteTimeout)...)
	}
	return out
}

// restartOnly names the changed settings a reload does not apply: the
// process-wide ones, built once at start.
func restartOnly(old, c *config.Conf) []string {
	var keys []string
	for _, k := range []struct {
		key  string
		a, b any
	}{
		{"savant", old.Savant, c.Savant},
		{"cluster", old.Cluster, c.Cluster},
		{"authArgon2Concurrency", old.AuthArgon2Concurrency, c.AuthArgon2Concurrency},
		{"authQuarantine", old.AuthQuarantine, c.AuthQuarantine},
		{"logLevel", old.LogLevel, c.LogLevel},
		{"logFormat", old.LogFormat, c.LogFormat},
		{"logDestinations", old.LogDestinations, c.LogDestinations},
		{"logStructured", old.LogStructured, c.LogStructured},
		{"logFile", old.LogFile, c.LogFile},
		{"sysLogPrefix", old.SysLogPrefix, c.SysLogPrefix},
	} {
		if !reflect.DeepEqual(k.a, k.b) {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// Re-check budgets: one pass over the live sessions may take
// recheckBudget; sessions it could not answer for are asked once more
// after recheckRetryDelay, and end if that cannot answer either.
const (
	recheckBudget     = 30 * time.Second
	recheckRetryDelay = 5 * time.Second
)

// recheckSessions asks every live session again (after a reload or a user
// store change) and logs what it did. Sessions it could not answer for
// are asked again after recheckRetryDelay (retryPending).
func (d *Daemon) recheckSessions(why string) {
	ctx, cancel := context.WithTimeout(context.Background(), recheckBudget)
	defer cancel()
	checked, ended := d.sessions.Recheck(ctx, d.Authenticate)
	pending := d.sessions.Pending()
	if checked > 0 {
		d.logger.Info("live sessions re-checked", "after", why, "checked", checked, "ended", ended, "pending", pending)
	}
	if pending > 0 && d.recheckRetry.CompareAndSwap(false, true) {
		time.AfterFunc(recheckRetryDelay, d.retryPending)
	}
}

// retryPending asks the sessions the last re-check could not answer for
// once more; those it cannot answer for either are ended.
func (d *Daemon) retryPending() {
	d.recheckRetry.Store(false)
	if !d.started.Load() {
		return // shutting down
	}
	ctx, cancel := context.WithTimeout(context.Background(), recheckBudget)
	defer cancel()
	checked, ended := d.sessions.RecheckPending(ctx, d.Authenticate)
	if checked > 0 {
		d.logger.Info("live sessions re-checked", "after", "an unanswered re-check", "checked", checked, "ended", ended)
	}
}

// watchEtcd re-checks live sessions after each batch of user changes in
// store (coalesced over 100 ms).
func (d *Daemon) watchEtcd(store *authn.EtcdStore) {
	kick := make(chan struct{}, 1)
	store.OnChange(func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	go func() {
		for {
			select {
			case <-store.Done():
				return
			case <-kick:
			}
			time.Sleep(100 * time.Millisecond)
			select {
			case <-kick:
			default:
			}
			d.recheckSessions("etcd change")
		}
	}()
}

// WatchConfig reloads the configuration from path when the file changes and
// when hup delivers (the caller's SIGHUP), until ctx ends. The parent directory is watched, so that a
// file replaced by rename (editors, Kubernetes ConfigMaps) is seen; events
// are coalesced over debounce. load reads and compiles the file.
func (d *Daemon) WatchConfig(ctx context.Context, path string, debounce time.Duration, hup <-chan os.Signal, load func() (*config.Conf, error)) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		_ = w.Close()
		return fmt.Errorf("watch %s: %w", filepath.Dir(abs), err)
	}
	go func() {
		defer func() { _ = w.Close() }()
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				d.reloadFrom(path, "SIGHUP", load)
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == abs || isDataSwap(ev.Name, abs) {
					timer = time.After(debounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				d.logger.Warn("config watch error", "error", err)
			case <-timer:
				timer = nil
				d.reloadFrom(path, "file changed", load)
			}
		}
	}()
	return nil
}

// isDataSwap reports a Kubernetes ConfigMap update: its files are symbolic
// links through ..data, which is replaced by rename.
func isDataSwap(name, abs string) bool {
	return filepath.Base(name) == "..data" && filepath.Dir(name) == filepath.Dir(abs)
}

func (d *Daemon) reloadFrom(path, why string, load func() (*config.Conf, error)) {
	d.editMu.Lock() // after an API edit in progress
	defer d.editMu.Unlock()
	c, err := load()
	if err == nil {
		err = d.Reload(c)
	}
	var partial *ListenerError
	switch {
	case errors.As(err, &partial):
		d.reloads.errors.Inc()
		d.logger.Error("configuration reloaded, but a listener did not restart", "trigger", why, "error", err)
		return
	case err != nil:
		d.reloads.errors.Inc()
		d.logger.Error("configuration not reloaded; the running configuration is kept", "trigger", why, "error", err)
		return
	}
	d.reloads.ok.Inc()
	d.logger.Info("configuration file applied", "trigger", why, "config", path)
	if n := d.apiEdits.Swap(0); n > 0 {
		d.logger.Warn("configuration edits made through the API were replaced by the file's contents", "edits", n, "config", path)
	}
}
