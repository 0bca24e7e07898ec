package srt

import (
	"strings"
	"testing"
)

// FuzzSRTStreamID: ParseStreamID never panics; what it accepts is at most
// MaxStreamIDLength bytes, has a mode and a path without control
// characters; and for the input s cut into "P:U:W" (P and U without a colon,
// W without "="), `publish:P:U:W` parses to exactly P, U and W (a password
// may contain colons). Seeds are in testdata/fuzz/FuzzSRTStreamID.
func FuzzSRTStreamID(f *testing.F) {
	f.Add("publish:cam:user:pass")
	f.Fuzz(func(t *testing.T, s string) {
		for _, raw := range []string{s, "publish:" + s, "read:" + s, "#!::" + s} {
			sid, err := ParseStreamID(raw)
			if err != nil {
				continue
			}
			if len(raw) > MaxStreamIDLength {
				t.Fatalf("accepted %d bytes (limit %d)", len(raw), MaxStreamIDLength)
			}
			if sid.Mode != ModePublish && sid.Mode != ModeRead {
				t.Fatalf("ParseStreamID(%q): mode %d", raw, sid.Mode)
			}
			if sid.Path == "" || strings.ContainsAny(sid.Path, "\x00\n\r") {
				t.Fatalf("ParseStreamID(%q): path %q", raw, sid.Path)
			}
		}
		path, rest, ok := strings.Cut(s, ":")
		if !ok {
			return
		}
		user, pass, ok := strings.Cut(rest, ":")
		if !ok || path == "" || strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) ||
			strings.Contains(pass, "=") || len("publish:"+s) > MaxStreamIDLength {
			return
		}
		if strings.Count(pass, ":") == 1 {
			return // publish:P:U:W:Q, the MediaMTX form with a query
		}
		sid, err := ParseStreamID("publish:" + s)
		if err != nil {
			t.Fatalf("ParseStreamID(publish:%q): %v", s, err)
		}
		if sid.Mode != ModePublish || sid.Path != path || sid.User != user || sid.Pass != pass || sid.Query != "" {
			t.Fatalf("ParseStreamID(publish:%q) = %+v, want path %q user %q pass %q", s, sid, path, user, pass)
		}
	})
}
