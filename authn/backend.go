package authn

import (
	"context"

	"github.com/streamgate/streamgate/authn/hash"
)

// Backend checks credentials. It answers an Identity, ErrNotApplicable (pass
// to the next backend), an *Error (decided: denied), or any other error
// (fail closed: unavailable). Permissions are checked by the pipeline.
type Backend interface {
	// Name is the backend's name in logs and metrics: internal, http, …
	Name() string
	// Authenticate checks req's credentials.
	Authenticate(ctx context.Context, req *Request) (*Identity, error)
}

// FakeHasher is a backend with argon2 users: the pipeline times one
// verification against its fake hash (Pipeline.Calibrate) to learn how long
// a refused login must take before any real check has been timed.
type FakeHasher interface {
	FakeHash() *hash.Argon2
}

// UserVersions is implemented by backends whose users or secrets can change
// while the pipeline runs (etcd users, token secrets): the pipeline's cache
// keeps an entry only while the user's version is the one it was decided at.
type UserVersions interface {
	UserVersion(user string) uint64
}

// DigestVerifier is implemented by backends that can check an RTSP Digest
// answer (Credentials.Digest): those holding plain passwords. The pipeline
// does not pass Digest answers to other backends.
type DigestVerifier interface {
	VerifiesDigest()
}
