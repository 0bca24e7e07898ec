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
	serveAsset(w, "text/html; charset=utf-8", "no-store", pageHTML)
}

// serveHLSJS answers the embedded hls.js.
func serveHLSJS(w http.ResponseWriter, _ *http.Request) {
	serveAsset(w, "text/javascript; charset=utf-8", "public, max-age=86400", hlsJS)
}

// serveAsset answers an embedded file of contentType, cached as
// cacheControl says.
func serveAsset(w http.ResponseWriter, contentType, cacheControl string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
