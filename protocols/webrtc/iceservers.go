package webrtc

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by definition (coturn, RFC 7635 draft)
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// ICEServer is one entry of webrtcICEServers2: a STUN or TURN server.
type ICEServer struct {
	// URL is stun:host:port, turn:host:port or turns:host:port (with
	// ?transport=udp|tcp).
	URL string
	// Username and Password are the TURN credentials. Username
	// TURNSecretUser ("AUTH_SECRET") makes Password the shared secret of a
	// TURN REST API: every use gets a time-limited username and password
	// derived from it (TURNCredentials), never the secret itself.
	Username, Password string
	// ClientOnly: handed to clients only, not used by the server's own
	// peer connections.
	ClientOnly bool
}

// TURNSecretUser is the username that marks a TURN shared secret.
const TURNSecretUser = "AUTH_SECRET"

// TURNCredentialTTL is how long a generated TURN credential is valid.
const TURNCredentialTTL = 24 * time.Hour

// TURNCredentials derives the TURN REST API credentials (the scheme of
// coturn's use-auth-secret) valid until expires: the username is
// "EXPIRY:RANDOM" (EXPIRY in Unix seconds) and the password
// base64(HMAC-SHA1(secret, username)).
func TURNCredentials(secret string, expires time.Time) (username, password string) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + base64.RawURLEncoding.EncodeToString(b[:])
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// iceServers returns the ICE servers for a peer connection: the server's
// own (client false: without the ClientOnly ones) or a client's, with
// fresh credentials for the TURN shared secrets.
func (s *Server) iceServers(client bool) []webrtc.ICEServer {
	return PeerICEServers(s.cfg.ICEServers, client, s.now())
}

// PeerICEServers are servers as pion takes them: for the server's own peer
// connections (client false: without the ClientOnly ones; a pulled
// whep(s):// source's too) or for a client, with credentials valid from
// now for the TURN shared secrets.
func PeerICEServers(servers []ICEServer, client bool, now time.Time) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, is := range servers {
		if is.ClientOnly && !client {
			continue
		}
		srv := webrtc.ICEServer{URLs: []string{is.URL}}
		user, pass := is.Username, is.Password
		if user == TURNSecretUser {
			user, pass = TURNCredentials(is.Password, now.Add(TURNCredentialTTL))
		}
		if user != "" || pass != "" {
			srv.Username, srv.Credential, srv.CredentialType = user, pass, webrtc.ICECredentialTypePassword
		}
		out = append(out, srv)
	}
	return out
}

// now is the server's clock (Config.Now, for tests).
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// peerConfig is the configuration of the server's peer connections.
func (s *Server) peerConfig() webrtc.Configuration {
	return webrtc.Configuration{ICEServers: s.iceServers(false)}
}

// setLinks puts the client's ICE servers in Link headers (the WHIP/WHEP
// way: `<URL>; rel="ice-server"; username="…"; credential="…"`). Only
// answers to authenticated requests carry them.
func (s *Server) setLinks(h http.Header) {
	for _, is := range s.iceServers(true) {
		h.Add("Link", linkHeader(is))
	}
}

var quoteReplacer = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// linkHeader is the Link header value of one ICE server.
func linkHeader(is webrtc.ICEServer) string {
	var b strings.Builder
	b.WriteString("<" + is.URLs[0] + `>; rel="ice-server"`)
	if is.Username != "" {
		cred, _ := is.Credential.(string)
		b.WriteString(`; username="` + quoteReplacer.Replace(is.Username) + `"; credential="` +
			quoteReplacer.Replace(cred) + `"; credential-type="password"`)
	}
	return b.String()
}

// pageICEServers are the client's ICE servers as the pages' script takes
// them (RTCIceServer dictionaries).
type pageICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

func (s *Server) pageICEServers() []pageICEServer {
	out := []pageICEServer{}
	for _, is := range s.iceServers(true) {
		cred, _ := is.Credential.(string)
		out = append(out, pageICEServer{URLs: is.URLs, Username: is.Username, Credential: cred})
	}
	return out
}
