package authz_test

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authz"
)

func TestCheckPathName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"cam", true},
		{"cams/1", true},
		{"a-b_c.d~e:f/G9", true},
		{"cams/a..b", true},
		{"cams/.hidden", true},
		{strings.Repeat("a", authz.MaxPathNameLength), true},
		{"", false},
		{strings.Repeat("a", authz.MaxPathNameLength+1), false},
		{"cams/../secret", false},
		{"cams/..", false},
		{"..", false},
		{"../cams", false},
		{"cams/./x", false},
		{".", false},
		{"cams/x\x00", false},
		{"cams/x%00", false},
		{"cams/x%2F..", false},
		{"cams/\nx", false},
		{"cams/\tx", false},
		{"cams/x\x7f", false},
		{"cams//x", false},
		{"/cams", false},
		{"cams/", false},
		{"/", false},
		{"cams x", false},
		{`cams\x`, false},
		{"cams?x=1", false},
		{"cams#x", false},
		{"caméra", false},
	} {
		err := authz.CheckPathName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPathName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, authz.ErrPathName) {
			t.Errorf("CheckPathName(%q) = %v, not ErrPathName", tc.name, err)
		}
		if err != nil && len(tc.name) > 3 && strings.Contains(err.Error(), tc.name) {
			t.Errorf("CheckPathName(%q): the error %q echoes the name", tc.name, err)
		}
	}
}

// FuzzCheckPathName: an accepted name is clean (path.Clean leaves it as it
// is, it is relative and has no "." or ".." element) and made of the allowed
// bytes only.
func FuzzCheckPathName(f *testing.F) {
	for _, s := range []string{"cam", "cams/1", "cams/../secret", "cams/..", "cams/x\x00", "/cam", "cam/", "a//b", "a/./b", "~:._-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := authz.CheckPathName(name)
		if err != nil {
			if !errors.Is(err, authz.ErrPathName) {
				t.Fatalf("CheckPathName(%q) = %v, not ErrPathName", name, err)
			}
			return
		}
		if path.Clean(name) != name || path.IsAbs(name) || name == "." {
			t.Fatalf("CheckPathName(%q) accepted a name that is not clean", name)
		}
		for _, el := range strings.Split(name, "/") {
			if el == ".." || el == "." || el == "" {
				t.Fatalf("CheckPathName(%q) accepted the element %q", name, el)
			}
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c < 0x21 || c > 0x7e || strings.IndexByte("%?#\\ \"'<>", c) >= 0 {
				t.Fatalf("CheckPathName(%q) accepted the byte %#x", name, c)
			}
		}
	})
}
