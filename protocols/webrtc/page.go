package webrtc

import (
	"bytes"
	_ "embed"
	"net/http"

	"github.com/streamgate/streamgate/authz"
)

// playerPage is the page served at /PATH/: a video element fed over WHEP.
var playerPage = withSessionScript(playerHTML)

//go:embed page.html
var playerHTML []byte

// sessionScript is the WHEP/WHIP client both pages share.
//
//go:embed session.js
var sessionScript []byte

// sessionScriptMark is where a page's script takes sessionScript.
var sessionScriptMark = []byte("/*SESSION_JS*/")

// withSessionScript returns page with sessionScript in place of
// sessionScriptMark.
func withSessionScript(page []byte) []byte {
	if !bytes.Contains(page, sessionScriptMark) {
		panic("webrtc: a page without " + string(sessionScriptMark))
	}
	return bytes.Replace(page, sessionScriptMark, sessionScript, 1)
}

// servePage answers the player page. It is authenticated like the WHEP
// endpoint: the 401 makes a browser ask for credentials, which it then
// sends along with the page's WHEP requests.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, rt route) {
	s.serveHTML(w, r, rt, authz.ActionRead, playerPage)
}

// serveHTML answers an embedded page (with the ICE servers the client
// gets) to a client authorized for action on the route's path.
func (s *Server) serveHTML(w http.ResponseWriter, r *http.Request, rt route, action authz.Action, page []byte) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	if s.gate.Check(w, r, action, rt.path) == nil {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(s.withICEServers(page))
	}
}
