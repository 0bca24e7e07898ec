package webrtc

import (
	"strings"

	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authz"
)

// routeKind is what a request URL addresses.
type routeKind int

const (
	routeNone        routeKind = iota // nothing here: 404
	routeRedirect                     // /PATH: 301 to /PATH/
	routePage                         // /PATH/: the player page
	routeWHEP                         // /PATH/whep: the WHEP endpoint
	routeSession                      // /PATH/whep/ID: a WHEP session
	routeWHIP                         // /PATH/whip: the WHIP endpoint
	routeWHIPSession                  // /PATH/whip/ID: a WHIP session
	routePublishPage                  // /PATH/publish: the publish page
	routeBadPath                      // a PATH that breaks the naming rules: 400
)

// route is a parsed request URL. PATH may contain slashes: the endpoint
// and session suffixes are taken from the end.
type route struct {
	kind    routeKind
	path    string
	session string // canonical UUID, for routeSession
}

// parseRoute parses the (decoded) URL path of a request.
func parseRoute(p string) route {
	if len(p) < 2 || p[0] != '/' {
		return route{}
	}
	p = p[1:]
	if strings.HasSuffix(p, "/") {
		return validRoute(routePage, p[:len(p)-1], "")
	}
	rest, last := splitLast(p)
	switch last {
	case "whep":
		return validRoute(routeWHEP, rest, "")
	case "whip":
		return validRoute(routeWHIP, rest, "")
	case "publish":
		return validRoute(routePublishPage, rest, "")
	}
	prefix, endpoint := splitLast(rest)
	switch endpoint {
	case "whep":
		id, err := uuid.Parse(last)
		if err != nil || id.String() != last {
			return route{}
		}
		return validRoute(routeSession, prefix, last)
	case "whip":
		id, err := uuid.Parse(last)
		if err != nil || id.String() != last {
			return route{}
		}
		return validRoute(routeWHIPSession, prefix, last)
	}
	return validRoute(routeRedirect, p, "")
}

// splitLast cuts s at its last slash; rest is "" when there is none.
func splitLast(s string) (rest, last string) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

func validRoute(kind routeKind, path, session string) route {
	// The naming rules every listener applies, so that nothing else
	// reaches the authenticator and the hub. No path at all is not found.
	if path == "" {
		return route{}
	}
	if authz.CheckPathName(path) != nil {
		return route{kind: routeBadPath}
	}
	return route{kind: kind, path: path, session: session}
}

// sessionLocation is the URL of a session, the Location of the POST's answer.
func sessionLocation(path, id string) string { return "/" + path + "/whep/" + id }
