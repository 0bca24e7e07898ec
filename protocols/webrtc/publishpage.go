package webrtc

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/streamgate/streamgate/authz"
)

// publishPage is the page served at /PATH/publish: the camera and the
// microphone published over WHIP.
var publishPage = withSessionScript(publishHTML)

//go:embed publish.html
var publishHTML []byte

// iceServersMark is where a page takes its ICE servers: the JSON of the
// client's ICE servers replaces it when the page is served.
var iceServersMark = []byte("[/*ICE_SERVERS*/]")

// withICEServers returns page with the client's ICE servers (fresh TURN
// credentials included) in place of iceServersMark. Pages are served to
// authenticated viewers only. json.Marshal escapes <, > and &, so the
// values cannot end the script element.
func (s *Server) withICEServers(page []byte) []byte {
	servers, err := json.Marshal(s.pageICEServers())
	if err != nil {
		servers = []byte("[]")
	}
	return bytes.Replace(page, iceServersMark, servers, 1)
}

// servePublishPage answers the publish page, authenticated for publishing:
// the 401 makes a browser ask for credentials, which it then sends along
// with the page's WHIP requests.
func (s *Server) servePublishPage(w http.ResponseWriter, r *http.Request, rt route) {
	s.serveHTML(w, r, rt, authz.ActionPublish, publishPage)
}
