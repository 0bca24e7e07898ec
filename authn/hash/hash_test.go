package hash_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn/hash"
)

// Seed 001: "Valid Argon2 hashes for passwords used in this guide".
var seed001 = []struct{ password, phc string }{
	{"password", "$argon2i$v=19$m=12,t=3,p=1$RzNHVVBjQXo4WUNBUUZYSnlOaGc$9Jmizcl1dv6maVzyIiuMV1OB1P9l6PKLbdmNjJDIgaU"},
	{"password1", "$argon2i$v=19$m=12,t=3,p=1$YXkzZmx1eTFwVW5hZ0R2S1dXazA$VxVMw2Omh1CeVqry8Cay+4OZ69OGvn4fma2M5rURZhI"},
	{"password2", "$argon2i$v=19$m=12,t=3,p=1$c0ZYQ1d3VWxabmx0ZUVmWDNIeVk$qHLr2T3xvedA5zZfTZhbNt3sXB9pa/xlFQ9dVmZG8DQ"},
}

func TestSeed001Hashes(t *testing.T) {
	for i, s := range seed001 {
		t.Run(s.password, func(t *testing.T) {
			h, err := hash.ParsePHC(s.phc)
			if err != nil {
				t.Fatal(err)
			}
			if h.Variant != hash.Argon2i || h.Memory != 12 || h.Time != 3 || h.Threads != 1 || len(h.Hash) != 32 {
				t.Errorf("parsed %+v", h)
			}
			if h.String() != s.phc {
				t.Errorf("String() = %s, want %s", h, s.phc)
			}
			for j, other := range seed001 {
				if got := h.Verify(other.password); got != (i == j) {
					t.Errorf("Verify(%q) = %v", other.password, got)
				}
			}
			for _, wrong := range []string{"", "Password", "password ", s.password + "\n", "password3"} {
				if h.Verify(wrong) {
					t.Errorf("Verify(%q) = true", wrong)
				}
			}
			// As MediaMTX writes it in a config file.
			sec, err := hash.ParseSecret("argon2:" + s.phc)
			if err != nil || sec.Kind != hash.KindArgon2 || !sec.Verify(s.password) || sec.Verify("nope") {
				t.Errorf("ParseSecret(argon2:…) = %+v, %v", sec, err)
			}
		})
	}
}

// MediaMTX documentation examples (authentication page): the argon2id user
// "user", the argon2i password "userpass", the sha256 user "readuser" and
// password "userpass" (checked against python3-argon2 and openssl).
func TestMediaMTXDocExamples(t *testing.T) {
	tests := []struct {
		secret, plain string
		kind          hash.Kind
	}{
		{"argon2:$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU", "user", hash.KindArgon2},
		{"argon2:$argon2i$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$oct3kOiFywTdDdt19kT07hdvmsPTvt9zxAUho2DLqZw", "userpass", hash.KindArgon2},
		{"sha256:j1tsRqDEw9xvq/D7/9tMx6Jh/jMhk3UfjwIB2f1zgMo=", "readuser", hash.KindSHA256},
		{"sha256:BdSWkrdV+ZxFBLUQQY7+7uv9RmiSVA8nrPmjGjJtZQQ=", "userpass", hash.KindSHA256},
		{"mypass", "mypass", hash.KindPlain},
		{"", "", hash.KindPlain},
	}
	for _, tt := range tests {
		t.Run(tt.plain, func(t *testing.T) {
			s, err := hash.ParseSecret(tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tt.kind {
				t.Errorf("kind = %d, want %d", s.Kind, tt.kind)
			}
			if !s.Verify(tt.plain) {
				t.Errorf("%s does not verify %q", tt.secret, tt.plain)
			}
			for _, wrong := range []string{tt.plain + "x", "mypass2", "x"} {
				if s.Verify(wrong) {
					t.Errorf("%s verifies %q", tt.secret, wrong)
				}
			}
		})
	}
	s, _ := hash.ParseSecret("")
	if !s.IsZero() {
		t.Error("empty plain secret is not zero")
	}
	s, _ = hash.ParseSecret("x")
	if s.IsZero() || s.Plain() != "x" {
		t.Errorf("plain secret x: IsZero %v, Plain %q", s.IsZero(), s.Plain())
	}
}

func TestSHA256(t *testing.T) {
	// echo -n "userpass" | openssl dgst -binary -sha256 | openssl base64
	if got := hash.SHA256("userpass"); got != "sha256:BdSWkrdV+ZxFBLUQQY7+7uv9RmiSVA8nrPmjGjJtZQQ=" {
		t.Errorf("SHA256(userpass) = %s", got)
	}
	for _, pw := range []string{"", "a", "pässwörd", strings.Repeat("x", 1000), "with:colon"} {
		d := sha256.Sum256([]byte(pw))
		want := "sha256:" + base64.StdEncoding.EncodeToString(d[:])
		if got := hash.SHA256(pw); got != want {
			t.Errorf("SHA256(%q) = %s, want %s", pw, got, want)
		}
		s, err := hash.ParseSecret(hash.SHA256(pw))
		if err != nil || s.Kind != hash.KindSHA256 || !s.Verify(pw) || s.Verify(pw+"!") || s.Digest() != d {
			t.Errorf("ParseSecret(SHA256(%q)) = %+v, %v", pw, s, err)
		}
	}
	for _, bad := range []string{"sha256:", "sha256:!!!", "sha256:MTIz", "sha256:" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)), "sha256:" + base64.StdEncoding.EncodeToString(make([]byte, 33))} {
		if _, err := hash.ParseSecret(bad); err == nil || !strings.Contains(err.Error(), "32-byte SHA-256 digest") {
			t.Errorf("ParseSecret(%q) error = %v", bad, err)
		}
	}
}

func TestParsePHCBounds(t *testing.T) {
	const salt8, hash32 = "MTIzNDU2Nzg", "OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"
	phc := func(params, salt, h string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + h }
	b64 := func(n int) string { return base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	tests := []struct {
		name  string
		in    string
		param string // "" = ErrFormat
	}{
		{"t=0", phc("m=4096,t=0,p=1", salt8, hash32), "t"},
		{"t above cap", phc("m=4096,t=33,p=1", salt8, hash32), "t"},
		{"t not a number", phc("m=4096,t=x,p=1", salt8, hash32), "t"},
		{"t negative", phc("m=4096,t=-1,p=1", salt8, hash32), "t"},
		{"p=0", phc("m=4096,t=1,p=0", salt8, hash32), "p"},
		{"p above cap", phc("m=4096,t=1,p=17", salt8, hash32), "p"},
		{"p overflows uint8", phc("m=4096,t=1,p=257", salt8, hash32), "p"},
		{"m above cap", phc("m=262145,t=1,p=1", salt8, hash32), "m"},
		{"m huge", phc("m=4294967295,t=1,p=1", salt8, hash32), "m"},
		{"m overflows uint32", phc("m=4294967296,t=1,p=1", salt8, hash32), "m"},
		{"m below 8p", phc("m=15,t=1,p=2", salt8, hash32), "m"},
		{"m=0", phc("m=0,t=1,p=1", salt8, hash32), "m"},
		{"salt too short", phc("m=64,t=1,p=1", b64(7), hash32), "salt"},
		{"salt empty", phc("m=64,t=1,p=1", "", hash32), "salt"},
		{"salt too long", phc("m=64,t=1,p=1", b64(65), hash32), "salt"},
		{"hash too short", phc("m=64,t=1,p=1", salt8, b64(15)), "hash"},
		{"hash empty", phc("m=64,t=1,p=1", salt8, ""), "hash"},
		{"hash too long", phc("m=64,t=1,p=1", salt8, b64(65)), "hash"},
		{"too long overall", phc("m=64,t=1,p=1", salt8, hash32) + strings.Repeat("A", 512), "length"},
		{"no leading $", "argon2id$v=19$m=64,t=1,p=1$" + salt8 + "$" + hash32, ""},
		{"too few parts", "$argon2id$v=19$m=64,t=1,p=1$" + salt8, ""},
		{"too many parts", phc("m=64,t=1,p=1", salt8, hash32) + "$x", ""},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt8 + "$" + hash32, ""},
		{"v=16", "$argon2id$v=16$m=64,t=1,p=1$" + salt8 + "$" + hash32, ""},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt8 + "$" + hash32, ""},
		{"unknown param", phc("m=64,t=1,p=1,k=2", salt8, hash32), ""},
		{"unknown param not a number", phc("m=64,t=1,p=1,keyid=abc", salt8, hash32), ""},
		{"missing param", phc("m=64,t=1", salt8, hash32), ""},
		{"duplicate param", phc("m=64,t=1,t=2,p=1", salt8, hash32), ""},
		{"param without =", phc("m=64,t,p=1", salt8, hash32), ""},
		{"bad salt base64", phc("m=64,t=1,p=1", "MTIz*DU2Nzg", hash32), ""},
		{"bad hash base64", phc("m=64,t=1,p=1", salt8, "OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRq!!"), ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hash.ParsePHC(tt.in)
			if err == nil {
				t.Fatalf("accepted: %+v", h)
			}
			var pe *hash.ParamError
			if tt.param == "" {
				if !errors.Is(err, hash.ErrFormat) {
					t.Errorf("error %v (%T), want ErrFormat", err, err)
				}
				return
			}
			if !errors.As(err, &pe) || pe.Param != tt.param {
				t.Fatalf("error %v (%T), want *ParamError for %s", err, err, tt.param)
			}
			if !strings.HasPrefix(err.Error(), "argon2 "+tt.param+": ") {
				t.Errorf("error text %q", err)
			}
		})
	}
}

func TestParsePHCAccepts(t *testing.T) {
	tests := []struct{ name, in string }{
		{"bounds low", "$argon2id$v=19$m=8,t=1,p=1$" + b64n(8) + "$" + b64n(16)},
		{"bounds high", "$argon2i$v=19$m=262144,t=32,p=16$" + b64n(64) + "$" + b64n(64)},
		{"params in any order", "$argon2id$v=19$p=1,t=3,m=4096$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"},
		{"padded base64", "$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg=$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hash.ParsePHC(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			again, err := hash.ParsePHC(h.String())
			if err != nil || again.String() != h.String() {
				t.Errorf("String() %s does not round-trip: %v", h, err)
			}
		})
	}
}

func b64n(n int) string { return base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, n)) }

func TestNew(t *testing.T) {
	for _, v := range []hash.Variant{hash.Argon2id, hash.Argon2i} {
		t.Run(string(v), func(t *testing.T) {
			p := hash.Params{Variant: v, Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}
			h, err := hash.New("s3cret:with:colons", p)
			if err != nil {
				t.Fatal(err)
			}
			s := h.String()
			if !strings.HasPrefix(s, "$"+string(v)+"$v=19$m=64,t=1,p=1$") {
				t.Errorf("New = %s", s)
			}
			parsed, err := hash.ParsePHC(s)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.String() != s || !parsed.Verify("s3cret:with:colons") || parsed.Verify("s3cret") {
				t.Errorf("round trip of %s failed", s)
			}
			if !bytes.Equal(parsed.Derive("s3cret:with:colons"), h.Hash) {
				t.Error("Derive differs from the stored hash")
			}
			h2, err := hash.New("s3cret:with:colons", p)
			if err != nil || bytes.Equal(h2.Salt, h.Salt) || h2.String() == s {
				t.Errorf("two hashes share a salt: %s %s", s, h2)
			}
			sec, err := hash.ParseSecret("argon2:" + s)
			if err != nil || !sec.Verify("s3cret:with:colons") {
				t.Errorf("ParseSecret(argon2:%s) = %v", s, err)
			}
		})
	}
	t.Run("refuses what ParsePHC refuses", func(t *testing.T) {
		for _, p := range []hash.Params{
			{Variant: hash.Argon2id, Time: 0, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32},
			{Variant: hash.Argon2id, Time: 1, Memory: 1 << 20, Threads: 1, SaltLen: 16, KeyLen: 32},
			{Variant: hash.Argon2id, Time: 1, Memory: 64, Threads: 0, SaltLen: 16, KeyLen: 32},
			{Variant: hash.Argon2id, Time: 1, Memory: 64, Threads: 1, SaltLen: 4, KeyLen: 32},
			{Variant: hash.Argon2id, Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 8},
			{Variant: "argon2d", Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32},
		} {
			if h, err := hash.New("pw", p); err == nil {
				t.Errorf("New(%+v) = %s", p, h)
			}
		}
	})
	if p := hash.DefaultParams; p.Variant != hash.Argon2id || p.Memory > hash.MaxMemoryKiB {
		t.Errorf("DefaultParams = %+v", hash.DefaultParams)
	}
}

func TestFake(t *testing.T) {
	h, err := hash.ParsePHC(seed001[0].phc)
	if err != nil {
		t.Fatal(err)
	}
	salt, digest := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 64)
	f := h.Fake(salt, digest)
	if f.Time != h.Time || f.Memory != h.Memory || f.Threads != h.Threads || len(f.Salt) != len(h.Salt) || len(f.Hash) != len(h.Hash) {
		t.Errorf("Fake changed the cost: %+v vs %+v", f, h)
	}
	if f.Verify("password") {
		t.Error("Fake verifies the real password")
	}
	if !bytes.Equal(h.Salt, mustDecode(t, "RzNHVVBjQXo4WUNBUUZYSnlOaGc")) {
		t.Error("Fake changed the original")
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
