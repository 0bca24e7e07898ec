package authn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// Internal is the backend of authInternalUsers, with MediaMTX semantics:
// "any" matches everyone (anonymous included, password not checked), names
// and passwords may be plain, sha256: or argon2:, ips restrict the client
// address, and a user may appear in several entries. Names are indexed when
// the configuration loads; only argon2-hashed names need a hash run to match.
type Internal struct {
	verifier *Verifier
	plain    map[string][]*internalUser
	sha      map[[sha256.Size]byte][]*internalUser
	argon    []*internalUser // entries whose name is an argon2 hash
	any      []*internalUser
	fake     *hash.Argon2
}

type internalUser struct {
	nameHash    *hash.Argon2 // set for argon2-hashed names
	pass        hash.Secret
	ips         authz.Networks
	permissions authz.Permissions
	labels      *authz.LabelRule
}

var (
	_ Backend    = (*Internal)(nil)
	_ FakeHasher = (*Internal)(nil)
)

// InternalUser is one authInternalUsers entry, compiled (internal/daemon
// maps the configuration onto it).
type InternalUser struct {
	// Name is "any" (everyone, anonymous included), a plain name, or its
	// sha256 or argon2 hash.
	Name hash.Secret
	// Pass is the password, plain or hashed; not checked for "any".
	Pass hash.Secret
	// IPs, when not empty, are the client addresses the entry holds for.
	IPs authz.Networks
	// Permissions are what the user may do.
	Permissions authz.Permissions
	// Labels is the routing-label rule the user is held to (nil: none).
	Labels *authz.LabelRule
}

// IsAny reports whether the entry is MediaMTX's "any" user.
func (u *InternalUser) IsAny() bool { return u.Name.Kind == hash.KindPlain && u.Name.Plain() == "any" }

// NewInternal indexes the users.
func NewInternal(users []InternalUser, v *Verifier) *Internal {
	b := &Internal{verifier: v, plain: map[string][]*internalUser{}, sha: map[[sha256.Size]byte][]*internalUser{}}
	for i := range users {
		u := &users[i]
		iu := &internalUser{nameHash: u.Name.Argon2, pass: u.Pass, ips: u.IPs, labels: u.Labels,
			permissions: u.Permissions}
		switch {
		case u.IsAny():
			b.any = append(b.any, iu)
		case u.Name.Kind == hash.KindSHA256:
			d := u.Name.Digest()
			b.sha[d] = append(b.sha[d], iu)
		case u.Name.Kind == hash.KindArgon2:
			b.argon = append(b.argon, iu)
		default:
			b.plain[u.Name.Plain()] = append(b.plain[u.Name.Plain()], iu)
		}
		if b.fake == nil && iu.pass.Kind == hash.KindArgon2 {
			b.fake = fakeOf(iu.pass.Argon2)
		}
	}
	return b
}

func fakeOf(h *hash.Argon2) *hash.Argon2 {
	salt := make([]byte, len(h.Salt))
	digest := make([]byte, len(h.Hash))
	_, _ = rand.Read(salt)
	_, _ = rand.Read(digest)
	return h.Fake(salt, digest)
}

// Name implements Backend.
func (b *Internal) Name() string { return "internal" }

// FakeHash implements FakeHasher: the parameters of the first argon2 user.
func (b *Internal) FakeHash() *hash.Argon2 { return b.fake }

// Authenticate implements Backend.
func (b *Internal) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	creds := req.Credentials
	var id *Identity
	matched := false
	if creds.User != "" {
		for _, u := range b.candidates(ctx, req) {
			if !u.ips.Contains(req.IP) {
				continue
			}
			matched = true
			ok, err := b.verifier.VerifyPass(ctx, req, &u.pass)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if id == nil {
				id = &Identity{User: creds.User, Backend: "internal", Labels: u.labels}
			}
			id.Permissions = append(id.Permissions, u.permissions...)
		}
	}
	anyPerms := b.anyPermissions(req)
	switch {
	case id != nil:
		id.Permissions = append(id.Permissions, anyPerms...)
		return id, nil
	case anyPerms != nil:
		return &Identity{Backend: "internal", Permissions: anyPerms}, nil
	case matched:
		return nil, denied(ReasonWrongPassword)
	}
	return nil, ErrNotApplicable
}

// VerifiesDigest implements DigestVerifier: users with plain passwords
// can answer RTSP Digest challenges.
func (b *Internal) VerifiesDigest() {}

// candidates are the entries whose name matches, cheapest lookups first.
func (b *Internal) candidates(ctx context.Context, req *Request) []*internalUser {
	name := req.Credentials.User
	out := b.plain[name]
	if len(b.sha) > 0 {
		if us, ok := b.sha[sha256.Sum256([]byte(name))]; ok {
			out = append(out[:len(out):len(out)], us...)
		}
	}
	for _, u := range b.argon {
		ok, err := b.verifier.Verify(ctx, req, &hash.Secret{Kind: hash.KindArgon2, Argon2: u.nameHash}, name)
		if err == nil && ok {
			out = append(out[:len(out):len(out)], u)
		}
	}
	return out
}

func (b *Internal) anyPermissions(req *Request) authz.Permissions {
	var perms authz.Permissions
	for _, u := range b.any {
		if u.ips.Contains(req.IP) {
			perms = append(perms, u.permissions...)
		}
	}
	return perms
}
