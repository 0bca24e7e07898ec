package hls

import (
	"net/http"
	"strings"
)

// Every HLS answer but the public hls.js was authenticated, so no shared
// cache (a CDN, a corporate proxy) may keep it for the next client, who
// could be anyone: gohlslib marks segments, parts and init files
// "public, max-age=3600" and playlists "public, max-age=…"; cacheWriter
// turns those into answers only the viewer's own browser may keep.
// A deployment that wants a CDN to cache uses URL tokens the CDN checks
// itself (README, "HLS behind a CDN").

// cacheControl is the Cache-Control of an authenticated answer for file
// given what gohlslib set: playlists change every part and are never
// stored; media files keep their lifetime, private.
func cacheControl(file, set string) string {
	if strings.HasSuffix(file, ".m3u8") || set == "" || strings.Contains(set, "no-store") {
		return "no-store"
	}
	var out []string
	for _, d := range strings.Split(set, ",") {
		switch d = strings.TrimSpace(d); strings.ToLower(d) {
		case "public", "private", "":
		default:
			out = append(out, d)
		}
	}
	return strings.Join(append([]string{"private"}, out...), ", ")
}

// cacheWriter replaces the handler's Cache-Control when the header goes
// out.
type cacheWriter struct {
	http.ResponseWriter
	file  string
	wrote bool
}

func (w *cacheWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		h := w.Header()
		h.Set("Cache-Control", cacheControl(w.file, h.Get("Cache-Control")))
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *cacheWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *cacheWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
