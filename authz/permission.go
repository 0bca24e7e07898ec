// Package authz decides what an authenticated identity may do: permissions
// (action × path × client address) and Savant routing-label rules.
//
// Everything here is compiled once, when the configuration or a user record is
// loaded; the request path only looks things up.
package authz

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Action is what a client wants to do.
type Action string

// The actions streamgate knows. They are MediaMTX's actions plus gateway.
const (
	ActionPublish  Action = "publish"
	ActionRead     Action = "read"
	ActionPlayback Action = "playback"
	ActionAPI      Action = "api"
	ActionMetrics  Action = "metrics"
	ActionPprof    Action = "pprof"
	ActionGateway  Action = "gateway"
)

// Actions lists every valid action, in documentation order.
var Actions = []Action{ActionPublish, ActionRead, ActionPlayback, ActionAPI, ActionMetrics, ActionPprof, ActionGateway}

// ParseAction checks that s names a known action.
func ParseAction(s string) (Action, error) {
	for _, a := range Actions {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown action %q (want one of %s)", s, actionList())
}

func actionList() string {
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// PathMatcher matches a stream path: any path (empty pattern), one exact path,
// or a regular expression (pattern starting with "~") matched against the
// WHOLE path.
type PathMatcher struct {
	pattern string
	exact   string
	re      *regexp.Regexp
	any     bool
}

// CompilePath compiles a MediaMTX path pattern. A "~" prefix makes the rest a
// regular expression that must match the whole path: "~cam" matches "cam" and
// not "notacamera".
func CompilePath(pattern string) (PathMatcher, error) {
	switch {
	case pattern == "":
		return PathMatcher{any: true}, nil
	case strings.HasPrefix(pattern, "~"):
		re, err := regexp.Compile(`^(?:` + pattern[1:] + `)$`)
		if err != nil {
			return PathMatcher{}, fmt.Errorf("invalid regular expression %q: %w", pattern[1:], err)
		}
		return PathMatcher{pattern: pattern, re: re}, nil
	default:
		return PathMatcher{pattern: pattern, exact: pattern}, nil
	}
}

// ExactPath matches path and nothing else, whatever it holds (a leading
// "~" or an empty path are taken literally): for a permission granted for
// one request's exact path.
func ExactPath(path string) PathMatcher { return PathMatcher{pattern: path, exact: path} }

// Match reports whether path matches.
func (m PathMatcher) Match(path string) bool {
	switch {
	case m.any:
		return true
	case m.re != nil:
		return m.re.MatchString(path)
	default:
		return m.exact == path
	}
}

// String returns the pattern as configured.
func (m PathMatcher) String() string { return m.pattern }

// Groups returns the capture groups of a regular expression matcher in
// path (the G1, G2… of hooks); nil for any other matcher or no match.
func (m PathMatcher) Groups(path string) []string {
	if m.re == nil {
		return nil
	}
	sm := m.re.FindStringSubmatch(path)
	if len(sm) < 2 {
		return nil
	}
	return sm[1:]
}

// IsRegexp reports whether the pattern is a regular expression.
func (m PathMatcher) IsRegexp() bool { return m.re != nil }

// Permission allows one action on the paths its matcher accepts.
type Permission struct {
	Action Action
	Path   PathMatcher
}

// Permissions is a compiled list of permissions.
type Permissions []Permission

// Allows reports whether any permission grants action on path.
func (ps Permissions) Allows(action Action, path string) bool {
	for i := range ps {
		if ps[i].Action == action && ps[i].Path.Match(path) {
			return true
		}
	}
	return false
}

// CompilePermission compiles one {action, path} pair.
func CompilePermission(action, path string) (Permission, error) {
	a, err := ParseAction(action)
	if err != nil {
		return Permission{}, err
	}
	m, err := CompilePath(path)
	if err != nil {
		return Permission{}, err
	}
	return Permission{Action: a, Path: m}, nil
}

// Networks is a list of client networks. An empty list allows every address.
type Networks []netip.Prefix

// ParseNetwork parses a CIDR or a single address (which becomes a /32 or
// /128). IPv4-mapped IPv6 forms (::ffff:10.0.0.0/104) become IPv4, as the
// client addresses Contains checks do.
func ParseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid network %q: %w", s, err)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid address %q: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Contains reports whether ip is allowed. An empty list allows every address;
// an invalid ip is allowed only by an empty list.
func (ns Networks) Contains(ip netip.Addr) bool {
	if len(ns) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, n := range ns {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
