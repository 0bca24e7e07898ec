package authn_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/testharness"
)

// etcdStoreFixture: a real etcd (Debian etcd-server, TLS client
// certificates made by the harness) and an EtcdStore on /users.
type etcdStoreFixture struct {
	etcd    *testharness.Etcd
	store   *authn.EtcdStore
	backend *authn.Etcd
	changes atomic.Int64
}

func newEtcdStoreFixture(t *testing.T, records map[string]string) *etcdStoreFixture {
	t.Helper()
	f := &etcdStoreFixture{etcd: testharness.StartEtcd(t)}
	for name, rec := range records {
		f.etcd.Put(t, "/users/"+name, rec)
	}
	cfg := authn.EtcdConfig{Endpoints: []string{f.etcd.Endpoint()}, CA: f.etcd.CAFile, Cert: f.etcd.CertFile,
		Key: f.etcd.KeyFile, Prefix: "/users", DataFormat: "json", DialTimeout: 5 * time.Second}
	store, err := authn.NewEtcdStore(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	store.OnChange(func() { f.changes.Add(1) })
	f.store = store
	f.backend = authn.NewEtcd(store, authn.NewVerifier(2, nil, authn.NewMetrics(nil)))
	testharness.WaitFor(t, "the first snapshot", 10*time.Second, store.Synced)
	return f
}

func (f *etcdStoreFixture) login(user, pass string) (*authn.Identity, error) {
	req := &authn.Request{Action: authz.ActionRead, Path: "cam", Protocol: authn.ProtocolRTSP,
		IP: netip.MustParseAddr("127.0.0.1"), Credentials: authn.Credentials{User: user, Pass: pass}}
	return f.backend.Authenticate(context.Background(), req)
}

const (
	storeRecord    = `{"password_hash": "` + seedHash + `", "allowed_routing_labels": {"set": "cam"}}`
	storePassword  = "password1"
	storeMalformed = `{"password_hash": "not a hash"}`
)

// The snapshot holds every record; a malformed one refuses that user only.
func TestEtcdStoreLoadsSnapshotMalformedRecordRefusesOneUser(t *testing.T) {
	f := newEtcdStoreFixture(t, map[string]string{"alice": storeRecord, "bob": storeMalformed})
	if n := f.store.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2 (malformed records count)", n)
	}
	id, err := f.login("alice", storePassword)
	if err != nil {
		t.Fatalf("alice: %v", err)
	}
	if id.User != "alice" || id.Backend != "etcd" || id.Labels == nil {
		t.Errorf("identity %+v: want alice via etcd with her label rule", id)
	}
	var ae *authn.Error
	if _, err := f.login("bob", storePassword); !errors.As(err, &ae) || ae.Kind != authn.KindDenied {
		t.Errorf("bob (malformed record): %v, want a denial", err)
	}
	if _, err := f.login("alice", "wrong"); !errors.As(err, &ae) || ae.Kind != authn.KindDenied {
		t.Errorf("alice, wrong password: %v, want a denial", err)
	}
	if _, err := f.login("carol", storePassword); !errors.Is(err, authn.ErrNotApplicable) {
		t.Errorf("unknown user: %v, want ErrNotApplicable (the next backend decides)", err)
	}
}

// A watched put, change and delete each bump the user's version (so cached
// decisions stop counting) and call OnChange; other users keep theirs.
func TestEtcdStoreWatchesChanges(t *testing.T) {
	f := newEtcdStoreFixture(t, map[string]string{"alice": storeRecord, "dave": storeRecord})
	daveV := f.store.UserVersion("dave")

	v, c := f.store.UserVersion("carol"), f.changes.Load()
	f.etcd.Put(t, "/users/carol", storeRecord)
	testharness.WaitFor(t, "carol's record", 10*time.Second, func() bool { return f.store.UserVersion("carol") != v && f.changes.Load() > c })
	if _, err := f.login("carol", storePassword); err != nil {
		t.Fatalf("carol after put: %v", err)
	}

	v = f.store.UserVersion("alice")
	f.etcd.Put(t, "/users/alice", storeMalformed)
	testharness.WaitFor(t, "alice's change", 10*time.Second, func() bool { return f.store.UserVersion("alice") != v })
	if _, err := f.login("alice", storePassword); err == nil {
		t.Fatal("alice's record is malformed now, still granted")
	}

	v = f.store.UserVersion("carol")
	f.etcd.Delete(t, "/users/carol")
	testharness.WaitFor(t, "carol's deletion", 10*time.Second, func() bool { return f.store.UserVersion("carol") != v })
	if _, err := f.login("carol", storePassword); !errors.Is(err, authn.ErrNotApplicable) {
		t.Fatalf("carol after delete: %v, want ErrNotApplicable", err)
	}
	if got := f.store.UserVersion("dave"); got != daveV {
		t.Errorf("dave's version moved %d → %d without a change of his record", daveV, got)
	}
}

// While etcd is down the store serves its last snapshot and is not synced
// (/ready says so); once etcd is back it reloads and watches again.
func TestEtcdStoreOutageServesSnapshotAndRecovers(t *testing.T) {
	f := newEtcdStoreFixture(t, map[string]string{"alice": storeRecord})
	f.etcd.Stop()
	testharness.WaitFor(t, "the store to notice the outage", 10*time.Second, func() bool { return !f.store.Synced() })
	if _, err := f.login("alice", storePassword); err != nil {
		t.Fatalf("alice during the outage: %v (the last snapshot must serve)", err)
	}
	f.etcd.Restart()
	testharness.WaitFor(t, "the store to resync", 10*time.Second, f.store.Synced)
	v := f.store.UserVersion("erin")
	f.etcd.Put(t, "/users/erin", storeRecord)
	testharness.WaitFor(t, "erin's record after the outage", 10*time.Second, func() bool { return f.store.UserVersion("erin") != v })
	if _, err := f.login("erin", storePassword); err != nil {
		t.Fatalf("erin after the outage: %v", err)
	}
}

// Close stops the watch: Done is closed.
func TestEtcdStoreClose(t *testing.T) {
	f := newEtcdStoreFixture(t, nil)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.store.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after Close")
	}
}
