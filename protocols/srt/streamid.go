package srt

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// MaxStreamIDLength is the longest streamid accepted, as in libsrt.
const MaxStreamIDLength = 512

// Mode is what a connection asks to do.
type Mode uint8

// The modes.
const (
	ModeRead Mode = iota + 1
	ModePublish
)

func (m Mode) String() string {
	switch m {
	case ModeRead:
		return "read"
	case ModePublish:
		return "publish"
	}
	return "unknown"
}

// Errors of ParseStreamID.
var (
	// ErrStreamID: the streamid is malformed or too long.
	ErrStreamID = errors.New("srt: invalid streamid")
	// ErrMode: the streamid asks for a mode other than publish or read.
	ErrMode = errors.New("srt: unsupported streamid mode")
)

// StreamID is a parsed streamid.
type StreamID struct {
	Mode Mode
	Path string
	User string
	Pass string
	// Token is a token given as t= (access-control form) or as token=/jwt=
	// in the query.
	Token string
	// Query is the raw query (the MediaMTX form's last field).
	Query string
}

// Credentials are what the streamid presents to the pipeline.
func (s StreamID) Credentials() authn.Credentials {
	return authn.Credentials{User: s.User, Pass: s.Pass, Token: s.Token}
}

// ParseStreamID parses the two forms of streamid:
//
//   - MediaMTX: `publish:PATH`, `publish:PATH:QUERY`, `publish:PATH:USER:PASS`,
//     `publish:PATH:USER:PASS:QUERY` (and the same with `read`). With more
//     than five fields, the last one is the query when it holds a `=`, and
//     every field between USER and the query is the password (which may then
//     contain colons);
//   - SRT access control: `#!::r=PATH,m=publish|request,u=USER,s=PASS`,
//     plus `t=TOKEN` (a t= naming a standard type, stream, file or auth, is
//     not a token), `token=`/`jwt=`; h= and unknown keys are ignored, a
//     repeated key is an error.
//
// A query's token= or jwt= parameter becomes the token.
func ParseStreamID(raw string) (StreamID, error) {
	if len(raw) > MaxStreamIDLength {
		return StreamID{}, fmt.Errorf("%w: longer than %d bytes", ErrStreamID, MaxStreamIDLength)
	}
	var s StreamID
	var err error
	if rest, ok := strings.CutPrefix(raw, "#!::"); ok {
		s, err = parseAccessControl(rest)
	} else {
		s, err = parseColonForm(raw)
	}
	if err != nil {
		return StreamID{}, err
	}
	if s.Path == "" {
		return StreamID{}, fmt.Errorf("%w: no path", ErrStreamID)
	}
	if err := authz.CheckPathName(s.Path); err != nil {
		// Rejected as a bad request (1400) before authentication.
		return StreamID{}, fmt.Errorf("%w: %w", ErrStreamID, err)
	}
	if s.Token == "" && s.Query != "" {
		if q, err := url.ParseQuery(s.Query); err == nil {
			if t := q.Get("token"); t != "" {
				s.Token = t
			} else if t := q.Get("jwt"); t != "" {
				s.Token = t
			}
		}
	}
	return s, nil
}

// parseMode reads a mode; request names reading. The error does not echo
// the value (a misplaced secret must not reach the log).
func parseMode(v string, request string) (Mode, error) {
	switch v {
	case "publish":
		return ModePublish, nil
	case request:
		return ModeRead, nil
	}
	return 0, ErrMode
}

func parseColonForm(raw string) (StreamID, error) {
	parts := strings.Split(raw, ":")
	if len(parts) < 2 {
		return StreamID{}, fmt.Errorf("%w: want ACTION:PATH[:USER:PASS][:QUERY]", ErrStreamID)
	}
	mode, err := parseMode(parts[0], "read")
	if err != nil {
		return StreamID{}, err
	}
	s := StreamID{Mode: mode, Path: parts[1]}
	switch n := len(parts); {
	case n == 2:
	case n == 3:
		s.Query = parts[2]
	case n == 4:
		s.User, s.Pass = parts[2], parts[3]
	case n == 5:
		s.User, s.Pass, s.Query = parts[2], parts[3], parts[4]
	default:
		s.User = parts[2]
		last := parts[n-1]
		if strings.Contains(last, "=") {
			s.Pass, s.Query = strings.Join(parts[3:n-1], ":"), last
		} else {
			s.Pass = strings.Join(parts[3:], ":")
		}
	}
	return s, nil
}

// standardTypes are the values of the access-control t= key that name a
// kind of stream rather than carry a token.
var standardTypes = map[string]bool{"stream": true, "file": true, "auth": true}

func parseAccessControl(rest string) (StreamID, error) {
	var s StreamID
	seen := map[string]bool{}
	tokens := 0
	for kv := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return StreamID{}, fmt.Errorf("%w: a field is not KEY=VALUE", ErrStreamID)
		}
		if seen[k] {
			return StreamID{}, fmt.Errorf("%w: a key is repeated", ErrStreamID)
		}
		seen[k] = true
		switch k {
		case "r":
			s.Path = v
		case "u":
			s.User = v
		case "s":
			s.Pass = v
		case "m":
			m, err := parseMode(v, "request")
			if err != nil {
				return StreamID{}, err
			}
			s.Mode = m
		case "t":
			if !standardTypes[v] {
				s.Token = v
				tokens++
			}
		case "token", "jwt":
			s.Token = v
			tokens++
		}
	}
	if s.Mode == 0 {
		// The access-control default mode is request.
		s.Mode = ModeRead
	}
	if tokens > 1 {
		return StreamID{}, fmt.Errorf("%w: more than one token", ErrStreamID)
	}
	return s, nil
}
