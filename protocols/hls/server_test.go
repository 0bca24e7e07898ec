package hls

import (
	"testing"
)

func TestSplitPath(t *testing.T) {
	for _, c := range []struct {
		in, name, file string
		ok             bool
	}{
		{"/cam/index.m3u8", "cam", "index.m3u8", true},
		{"/cam/", "cam", "", true},
		{"/cam", "cam", "", true},
		{"/a/b/index.m3u8", "a/b", "index.m3u8", true},
		{"/a/b", "a/b", "", true},
		{"/a/b/", "a/b", "", true},
		{"/cam/123abc_video1_part7.mp4", "cam", "123abc_video1_part7.mp4", true},
		{"/cam/seg1.ts", "cam", "seg1.ts", true},
		{"/cam/hls.min.js", "cam", "hls.min.js", true},
		{"/", "", "", false},
		{"", "", "", false},
		{"/index.m3u8", "", "", false},
		{"//index.m3u8", "", "", false},
		{"/a//b/", "", "", false},
		{"/../etc/", "", "", false},
		{"/a/../b/", "", "", false},
		{"/./index.m3u8", "", "", false},
	} {
		name, file, ok := SplitPath(c.in)
		if name != c.name || file != c.file || ok != c.ok {
			t.Errorf("SplitPath(%q) = %q, %q, %v; want %q, %q, %v", c.in, name, file, ok, c.name, c.file, c.ok)
		}
	}
}

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/cam/index.m3u8", "/a/b/", "/a/../b/x.mp4", "//", "/cam"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, file, ok := SplitPath(p)
		if !ok {
			return
		}
		if name == "" || name[0] == '/' || name[len(name)-1] == '/' {
			t.Fatalf("SplitPath(%q) = %q: not a clean path name", p, name)
		}
		for _, el := range []string{"..", "."} {
			if name == el {
				t.Fatalf("SplitPath(%q) = %q", p, name)
			}
		}
		if file != "" && !isHLSFile(file) {
			t.Fatalf("SplitPath(%q) file %q", p, file)
		}
	})
}
