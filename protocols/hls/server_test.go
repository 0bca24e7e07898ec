package hls

import (
	"errors"
	"testing"

	"github.com/streamgate/streamgate/authz"
)

func TestSplitPath(t *testing.T) {
	const ok, none, bad = "", "none", "bad"
	for _, c := range []struct {
		in, name, file string
		err            string
	}{
		{"/cam/index.m3u8", "cam", "index.m3u8", ok},
		{"/cam/", "cam", "", ok},
		{"/cam", "cam", "", ok},
		{"/a/b/index.m3u8", "a/b", "index.m3u8", ok},
		{"/a/b", "a/b", "", ok},
		{"/a/b/", "a/b", "", ok},
		{"/cam/123abc_video1_part7.mp4", "cam", "123abc_video1_part7.mp4", ok},
		{"/cam/seg1.ts", "cam", "seg1.ts", ok},
		{"/cam/hls.min.js", "cam", "hls.min.js", ok},
		{"/", "", "", none},
		{"", "", "", none},
		{"/index.m3u8", "", "", none},
		{"//index.m3u8", "", "", none},
		{"/a//b/", "", "", bad},
		{"/../etc/", "", "", bad},
		{"/a/../b/", "", "", bad},
		{"/./index.m3u8", "", "", bad},
		{"/cam\x00/index.m3u8", "", "", bad},
		{"/cam x/", "", "", bad},
	} {
		name, file, err := SplitPath(c.in)
		var got string
		switch {
		case errors.Is(err, authz.ErrPathName):
			got = bad
		case err != nil:
			got = none
		}
		if name != c.name || file != c.file || got != c.err {
			t.Errorf("SplitPath(%q) = %q, %q, %v; want %q, %q, %q", c.in, name, file, err, c.name, c.file, c.err)
		}
	}
}

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/cam/index.m3u8", "/a/b/", "/a/../b/x.mp4", "//", "/cam"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, file, err := SplitPath(p)
		if err != nil {
			return
		}
		if authz.CheckPathName(name) != nil {
			t.Fatalf("SplitPath(%q) = %q: not a valid path name", p, name)
		}
		if file != "" && !isHLSFile(file) {
			t.Fatalf("SplitPath(%q) file %q", p, file)
		}
	})
}
