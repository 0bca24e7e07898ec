package hls

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// gohlslib's Cache-Control becomes private (media) or no-store
// (playlists, anything unmarked) when the header goes out.
func TestCacheWriter(t *testing.T) {
	for _, tt := range []struct{ file, set, want string }{
		{"index.m3u8", "public, max-age=30", "no-store"},
		{"video1_stream.m3u8", "no-cache", "no-store"},
		{"video1_stream.m3u8", "max-age=1", "no-store"},
		{"abc_video1_seg7.mp4", "public, max-age=3600", "private, max-age=3600"},
		{"abc_video1_part0.mp4", "Public,max-age=3600", "private, max-age=3600"},
		{"abc_video1_init.mp4", "public, max-age=3600", "private, max-age=3600"},
		{"seg1.ts", "", "no-store"},
		{"", "no-store", "no-store"},
	} {
		for _, viaWrite := range []bool{false, true} {
			rec := httptest.NewRecorder()
			w := &cacheWriter{ResponseWriter: rec, file: tt.file}
			if tt.set != "" {
				w.Header().Set("Cache-Control", tt.set)
			}
			if viaWrite {
				_, _ = w.Write([]byte("x"))
			} else {
				w.WriteHeader(http.StatusOK)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("%s with %q (write %v): Cache-Control %q, want %q", tt.file, tt.set, viaWrite, got, tt.want)
			}
		}
	}
}
