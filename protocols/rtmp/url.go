package rtmp

import (
	"net/url"
	"strings"

	"github.com/streamgate/streamgate/authn"
)

// Target is what a publish or play command asks for: the path and the
// credentials, taken from the connect command's app name and the stream key.
type Target struct {
	// Path is app/stream without queries and without leading or trailing
	// slashes (MediaMTX: the URL path minus the leading slash).
	Path string
	// Query is the raw query, the app's and the stream key's joined by &.
	Query string
	// Credentials are ?user=&pass= and ?token= (or ?jwt=) from either query.
	Credentials authn.Credentials
}

// ParseTarget splits the connect command's app and the publish/play stream
// key into a path and credentials. Clients put the query in either:
//
//	ffmpeg rtmp://h/cam?user=U&pass=P           app "cam?user=U&pass=P", key ""
//	ffmpeg rtmp://h/app/cam?user=U&pass=P       app "app", key "cam?user=U&pass=P"
//	ffmpeg rtmp://h/app?user=U&pass=P/cam       app "app?user=U&pass=P", key "cam"
//	OBS    server rtmp://h/app, key cam?token=T app "app", key "cam?token=T"
//
// A value given in both queries is taken from the stream key's.
func ParseTarget(app, streamKey string) Target {
	appPath, appQuery, _ := strings.Cut(app, "?")
	keyPath, keyQuery, _ := strings.Cut(streamKey, "?")
	var t Target
	// The slashes OBS and other clients add around the paths are trimmed.
	t.Path = joinNonEmpty(strings.Trim(appPath, "/"), strings.Trim(keyPath, "/"), "/")
	t.Query = joinNonEmpty(appQuery, keyQuery, "&")
	for _, q := range []string{appQuery, keyQuery} {
		v := parseQuery(q)
		if s, ok := v["user"]; ok {
			t.Credentials.User = s
		}
		if s, ok := v["pass"]; ok {
			t.Credentials.Pass = s
		}
		if s, ok := v["token"]; ok {
			t.Credentials.Token = s
		} else if s, ok := v["jwt"]; ok {
			t.Credentials.Token = s
		}
	}
	return t
}

// joinNonEmpty joins a and b with sep, leaving out an empty one.
func joinNonEmpty(a, b, sep string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + sep + b
}

// parseQuery decodes key=value pairs separated by &. Unlike url.ParseQuery it
// keeps going past a malformed pair, and a value that is not valid
// percent-encoding is taken as it is (RTMP clients rarely encode).
func parseQuery(q string) map[string]string {
	out := map[string]string{}
	for pair := range strings.SplitSeq(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k == "" {
			continue
		}
		out[unescape(k)] = unescape(v)
	}
	return out
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
