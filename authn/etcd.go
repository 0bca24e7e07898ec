package authn

import (
	"context"
	"errors"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// Etcd is the etcd backend over an EtcdStore.
type Etcd struct {
	store    *EtcdStore
	verifier *Verifier
	perms    authz.Permissions
}

var (
	_ Backend      = (*Etcd)(nil)
	_ FakeHasher   = (*Etcd)(nil)
	_ UserVersions = (*Etcd)(nil)
)

// NewEtcd makes a backend of store.
func NewEtcd(store *EtcdStore, v *Verifier) *Etcd {
	return &Etcd{store: store, verifier: v, perms: store.cfg.Permissions}
}

// Name implements Backend.
func (b *Etcd) Name() string { return "etcd" }

// FakeHash implements FakeHasher.
func (b *Etcd) FakeHash() *hash.Argon2 { return b.store.fake.Load() }

// UserVersion implements UserVersions.
func (b *Etcd) UserVersion(user string) uint64 { return b.store.UserVersion(user) }

// ErrEtcdUnavailable: no snapshot has been loaded yet.
var ErrEtcdUnavailable = errors.New("authn/etcd: no user snapshot loaded yet")

// Authenticate implements Backend.
func (b *Etcd) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	if req.Credentials.User == "" {
		return nil, ErrNotApplicable
	}
	u, ok := b.store.lookup(req.Credentials.User)
	if !ok {
		if b.store.Len() == 0 && !b.store.Synced() {
			return nil, ErrEtcdUnavailable
		}
		return nil, ErrNotApplicable
	}
	if u.err != nil { // refused like a wrong password, in the same time (Pipeline.Authenticate)
		return nil, denied("malformed user record")
	}
	ok, err := b.verifier.Verify(ctx, req, &hash.Secret{Kind: hash.KindArgon2, Argon2: u.rec.Hash}, req.Credentials.Pass)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, denied(ReasonWrongPassword)
	}
	perms := u.rec.Permissions
	if perms == nil {
		perms = b.perms
	}
	return &Identity{User: req.Credentials.User, Backend: "etcd", Permissions: perms, Labels: u.rec.Labels}, nil
}
