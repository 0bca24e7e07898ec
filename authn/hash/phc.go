// Package hash parses and verifies the password forms streamgate accepts:
// argon2i / argon2id PHC strings with bounded parameters, MediaMTX
// "sha256:" digests and plain text. Parsing happens once, when a config or a
// user record is loaded; Verify only computes and compares.
package hash

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Bounds on argon2 parameters. A hash outside them is refused when it is
// loaded, so that one record cannot make a login cost seconds or gigabytes.
const (
	MaxPHCLength  = 512     // characters in the whole PHC string
	MaxTime       = 32      // t: passes
	MaxMemoryKiB  = 262_144 // m: 256 MiB
	MaxThreads    = 16      // p: lanes
	MinSaltBytes  = 8
	MaxSaltBytes  = 64
	MinHashBytes  = 16
	MaxHashBytes  = 64
	argon2Version = 19
)

// Variant is an argon2 variant.
type Variant string

// The argon2 variants streamgate verifies.
const (
	Argon2i  Variant = "argon2i"
	Argon2id Variant = "argon2id"
)

// ParamError is a PHC string that parses but whose parameter is out of
// bounds; Param names it ("t", "m", "p", "salt", "hash", "length").
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("argon2 %s: %s", e.Param, e.Msg) }

// ErrFormat is wrapped by every error about a malformed PHC string.
var ErrFormat = errors.New("malformed argon2 PHC string")

// Argon2 is a decoded, bounds-checked argon2 hash.
type Argon2 struct {
	Variant Variant
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
	Salt    []byte
	Hash    []byte
}

// ParsePHC decodes "$argon2id$v=19$m=…,t=…,p=…$SALT$HASH" (base64 without
// padding, as the PHC format says; padded input is accepted too).
func ParsePHC(s string) (*Argon2, error) {
	if len(s) > MaxPHCLength {
		return nil, &ParamError{Param: "length", Msg: fmt.Sprintf("PHC string is %d characters, the limit is %d", len(s), MaxPHCLength)}
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, fmt.Errorf("%w: want $variant$v=19$m=M,t=T,p=P$salt$hash", ErrFormat)
	}
	h := &Argon2{Variant: Variant(parts[1])}
	if h.Variant != Argon2i && h.Variant != Argon2id {
		return nil, fmt.Errorf("%w: variant %q is not argon2i or argon2id", ErrFormat, parts[1])
	}
	if parts[2] != "v=19" {
		return nil, fmt.Errorf("%w: version %q, only v=19 is supported", ErrFormat, parts[2])
	}
	if err := h.parseParams(parts[3]); err != nil {
		return nil, err
	}
	var err error
	if h.Salt, err = decodeB64(parts[4]); err != nil {
		return nil, fmt.Errorf("%w: salt: %v", ErrFormat, err)
	}
	if h.Hash, err = decodeB64(parts[5]); err != nil {
		return nil, fmt.Errorf("%w: hash: %v", ErrFormat, err)
	}
	if n := len(h.Salt); n < MinSaltBytes || n > MaxSaltBytes {
		return nil, &ParamError{Param: "salt", Msg: fmt.Sprintf("%d bytes, want %d to %d", n, MinSaltBytes, MaxSaltBytes)}
	}
	if n := len(h.Hash); n < MinHashBytes || n > MaxHashBytes {
		return nil, &ParamError{Param: "hash", Msg: fmt.Sprintf("%d bytes, want %d to %d", n, MinHashBytes, MaxHashBytes)}
	}
	if h.Memory < 8*uint32(h.Threads) {
		return nil, &ParamError{Param: "m", Msg: fmt.Sprintf("%d KiB is below 8 × p = %d", h.Memory, 8*uint32(h.Threads))}
	}
	return h, nil
}

func (h *Argon2) parseParams(s string) error {
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return fmt.Errorf("%w: parameters %q", ErrFormat, s)
		}
		seen[k] = true
		if k != "m" && k != "t" && k != "p" {
			return fmt.Errorf("%w: unknown parameter %q", ErrFormat, k)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return &ParamError{Param: k, Msg: fmt.Sprintf("%q is not a number in range", v)}
		}
		switch k {
		case "t":
			if n < 1 || n > MaxTime {
				return &ParamError{Param: "t", Msg: fmt.Sprintf("%d, want 1 to %d", n, MaxTime)}
			}
			h.Time = uint32(n)
		case "m":
			if n > MaxMemoryKiB {
				return &ParamError{Param: "m", Msg: fmt.Sprintf("%d KiB, the limit is %d", n, MaxMemoryKiB)}
			}
			h.Memory = uint32(n)
		case "p":
			if n < 1 || n > MaxThreads {
				return &ParamError{Param: "p", Msg: fmt.Sprintf("%d, want 1 to %d", n, MaxThreads)}
			}
			h.Threads = uint8(n)
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return fmt.Errorf("%w: parameters %q must set m, t and p", ErrFormat, s)
	}
	return nil
}

func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Verify reports whether password hashes to h, comparing in constant time.
func (h *Argon2) Verify(password string) bool {
	got := h.Derive(password)
	return subtle.ConstantTimeCompare(got, h.Hash) == 1
}

// Derive computes the hash of password with h's parameters and salt.
func (h *Argon2) Derive(password string) []byte {
	n := uint32(len(h.Hash))
	if h.Variant == Argon2i {
		return argon2.Key([]byte(password), h.Salt, h.Time, h.Memory, h.Threads, n)
	}
	return argon2.IDKey([]byte(password), h.Salt, h.Time, h.Memory, h.Threads, n)
}

// String encodes h as a PHC string.
func (h *Argon2) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", h.Variant, argon2Version, h.Memory, h.Time, h.Threads,
		base64.RawStdEncoding.EncodeToString(h.Salt), base64.RawStdEncoding.EncodeToString(h.Hash))
}

// Fake returns a hash with the same parameters as h and a random-looking salt
// and digest that no password matches in practice; verifying it costs what
// verifying h costs. It stands in for unknown users.
func (h *Argon2) Fake(salt, digest []byte) *Argon2 {
	f := *h
	f.Salt = salt[:len(h.Salt)]
	f.Hash = digest[:len(h.Hash)]
	return &f
}
