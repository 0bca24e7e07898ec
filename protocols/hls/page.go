package hls

import (
	_ "embed"
	"net/http"
)

// The player page and hls.js (taken from the npm package by `make hlsjs`,
// see assets/hls.min.js.version) are embedded: nothing comes from a CDN.
var (
	//go:embed assets/index.html
	pageHTML []byte
	//go:embed assets/hls.min.js
	hlsJS []byte
)

// servePage answers the player page.
func servePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(pageHTML)
}

// serveHLSJS answers the embedded hls.js.
func serveHLSJS(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(hlsJS)
}
