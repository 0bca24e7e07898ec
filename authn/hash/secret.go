package hash

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Kind is how a configured secret is stored.
type Kind uint8

// Secret kinds.
const (
	KindPlain Kind = iota
	KindSHA256
	KindArgon2
)

// Secret is a compiled user name or password as MediaMTX writes them:
// plain text, "sha256:BASE64" or "argon2:$argon2…$…".
type Secret struct {
	Kind   Kind
	plain  []byte
	digest [sha256.Size]byte
	Argon2 *Argon2
}

// ParseSecret compiles a configured value.
func ParseSecret(s string) (Secret, error) {
	switch {
	case strings.HasPrefix(s, "sha256:"):
		d, err := base64.StdEncoding.DecodeString(s[len("sha256:"):])
		if err != nil || len(d) != sha256.Size {
			return Secret{}, errors.New("sha256: want the base64 of a 32-byte SHA-256 digest")
		}
		sec := Secret{Kind: KindSHA256}
		copy(sec.digest[:], d)
		return sec, nil
	case strings.HasPrefix(s, "argon2:"):
		h, err := ParsePHC(s[len("argon2:"):])
		if err != nil {
			return Secret{}, err
		}
		return Secret{Kind: KindArgon2, Argon2: h}, nil
	default:
		return Secret{Kind: KindPlain, plain: []byte(s)}, nil
	}
}

// IsZero reports whether the secret is an empty plain value.
func (s *Secret) IsZero() bool { return s.Kind == KindPlain && len(s.plain) == 0 }

// Verify reports whether v matches, in time that does not depend on how much
// of v matches. Plain and sha256 values are compared as SHA-256 digests, so
// lengths leak nothing either.
func (s *Secret) Verify(v string) bool {
	switch s.Kind {
	case KindArgon2:
		return s.Argon2.Verify(v)
	case KindSHA256:
		d := sha256.Sum256([]byte(v))
		return subtle.ConstantTimeCompare(d[:], s.digest[:]) == 1
	default:
		a := sha256.Sum256(s.plain)
		b := sha256.Sum256([]byte(v))
		return subtle.ConstantTimeCompare(a[:], b[:]) == 1
	}
}

// Digest returns the SHA-256 digest a sha256 secret holds.
func (s *Secret) Digest() [sha256.Size]byte { return s.digest }

// Plain returns a plain secret's text.
func (s *Secret) Plain() string { return string(s.plain) }

// Params for new argon2 hashes (streamgate hash, streamgate user put).
type Params struct {
	Variant Variant
	Time    uint32
	Memory  uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams follow RFC 9106's second recommended option, scaled to a
// login that costs a few tens of milliseconds.
var DefaultParams = Params{Variant: Argon2id, Time: 3, Memory: 65536, Threads: 2, SaltLen: 16, KeyLen: 32}

// New hashes password with p and a random salt.
func New(password string, p Params) (*Argon2, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("hash: salt: %w", err)
	}
	h := &Argon2{Variant: p.Variant, Time: p.Time, Memory: p.Memory, Threads: p.Threads, Salt: salt, Hash: make([]byte, p.KeyLen)}
	// Check the parameters with the parser first: New never derives with, or
	// emits, what ParsePHC would refuse.
	if _, err := ParsePHC(h.String()); err != nil {
		return nil, err
	}
	h.Hash = h.Derive(password)
	return h, nil
}

// SHA256 returns the MediaMTX "sha256:" form of v.
func SHA256(v string) string {
	d := sha256.Sum256([]byte(v))
	return "sha256:" + base64.StdEncoding.EncodeToString(d[:])
}
