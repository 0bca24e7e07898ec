package hash_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/streamgate/streamgate/authn/hash"
)

// FuzzParsePHC: nothing panics, errors are typed, and an accepted string
// re-encodes (String) to one that parses to the same values.
func FuzzParsePHC(f *testing.F) {
	for _, s := range seed001 {
		f.Add(s.phc)
	}
	f.Add("$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU")
	f.Add("$argon2id$v=19$p=1,t=3,m=4096$MTIzNDU2Nzg=$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU=")
	f.Add("$argon2id$v=19$m=262145,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU")
	f.Add("$argon2d$v=19$m=8,t=1,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvSw")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := hash.ParsePHC(s)
		if err != nil {
			var pe *hash.ParamError
			if h != nil || (!errors.Is(err, hash.ErrFormat) && !errors.As(err, &pe)) {
				t.Fatalf("ParsePHC(%q) = %v, %v (%T)", s, h, err, err)
			}
			if pe != nil && !map[string]bool{"t": true, "m": true, "p": true, "salt": true, "hash": true, "length": true}[pe.Param] {
				t.Fatalf("ParamError names %q", pe.Param)
			}
			return
		}
		if h.Time < 1 || h.Time > hash.MaxTime || h.Memory > hash.MaxMemoryKiB || h.Threads < 1 || h.Threads > hash.MaxThreads ||
			h.Memory < 8*uint32(h.Threads) || len(h.Salt) < hash.MinSaltBytes || len(h.Salt) > hash.MaxSaltBytes ||
			len(h.Hash) < hash.MinHashBytes || len(h.Hash) > hash.MaxHashBytes {
			t.Fatalf("ParsePHC(%q) accepted out-of-bounds %+v", s, h)
		}
		enc := h.String()
		again, err := hash.ParsePHC(enc)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", enc, s, err)
		}
		if again.Variant != h.Variant || again.Time != h.Time || again.Memory != h.Memory || again.Threads != h.Threads ||
			!bytes.Equal(again.Salt, h.Salt) || !bytes.Equal(again.Hash, h.Hash) {
			t.Fatalf("round trip changed %+v into %+v", h, again)
		}
		if again.String() != enc {
			t.Fatalf("String() is not stable: %q then %q", enc, again.String())
		}
		if sec, err := hash.ParseSecret("argon2:" + s); err != nil || sec.Kind != hash.KindArgon2 {
			t.Fatalf("ParseSecret(argon2:%q) = %v", s, err)
		}
	})
}
