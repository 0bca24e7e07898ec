package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// AuthMethods is authMethod: one backend name or a list, tried in order.
type AuthMethods []string

// The authentication backends.
var authMethodNames = []string{"internal", "http", "jwt", "etcd", "token"}

func (m *AuthMethods) decodeNode(d *decoder, n *yaml.Node, key string) {
	var names []string
	var nodes []*yaml.Node // the node each name came from, for error lines
	switch {
	case isNull(n):
		d.errorf(n, key, "must name at least one of %s", strings.Join(authMethodNames, ", "))
		return
	case n.Kind == yaml.ScalarNode:
		for _, s := range strings.Split(n.Value, ",") {
			names, nodes = append(names, strings.TrimSpace(s)), append(nodes, n)
		}
	case n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			s, ok := d.scalar(item, fmt.Sprintf("%s[%d]", key, i), "a backend name")
			if !ok {
				return
			}
			names, nodes = append(names, s), append(nodes, item)
		}
	default:
		d.errorf(n, key, "want a backend name or a list of them, got %s", nodeKind(n))
		return
	}
	if len(names) == 0 {
		d.errorf(n, key, "must name at least one of %s", strings.Join(authMethodNames, ", "))
		return
	}
	for i, s := range names {
		k := key
		if n.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		if !slices.Contains(authMethodNames, s) {
			d.errorf(nodes[i], k, "unknown method %q (want %s)", s, strings.Join(authMethodNames, ", "))
			return
		}
		if slices.Contains(names[:i], s) {
			d.errorf(nodes[i], k, "method %q is listed twice", s)
			return
		}
	}
	*m = names
}

// Has reports whether the chain includes the named backend.
func (m AuthMethods) Has(name string) bool { return slices.Contains(m, name) }

// Credential is a configured user name or password in MediaMTX form: plain
// text, "sha256:BASE64" or "argon2:PHC". It is compiled (and an argon2 hash
// bounds-checked) when the file is loaded.
type Credential struct {
	// Raw is the value as written.
	Raw string
	// Secret is the compiled value.
	Secret hash.Secret
}

func (c *Credential) decodeNode(d *decoder, n *yaml.Node, key string) {
	if isNull(n) {
		*c = Credential{}
		return
	}
	if sec, ok := scalarAs(d, n, key, "a string", hash.ParseSecret); ok {
		*c = Credential{Raw: n.Value, Secret: sec}
	}
}

// IsSet reports whether a value was configured.
func (c *Credential) IsSet() bool { return c.Raw != "" }

// Password is a Credential that is never shown (config API, logs).
type Password struct{ Credential }

// Secret is a plain string that is never shown (config API, logs).
type Secret string

// User is one entry of authInternalUsers (MediaMTX semantics plus labels).
type User struct {
	// User is the name: plain, sha256:, argon2:, or "any" for everyone.
	User Credential `yaml:"user"`
	// Pass is the password: plain, sha256: or argon2:. Empty only for "any".
	Pass Password `yaml:"pass"`
	// IPs are the client networks this user may come from (empty = any).
	IPs []Network `yaml:"ips"`
	// Permissions are the actions and paths this user is allowed.
	Permissions []Permission `yaml:"permissions"`
	// Labels is a Savant routing-label rule (seed 001) the user is held to.
	Labels LabelRule `yaml:"labels"`
}

// IsAny reports whether the entry is the anonymous "any" user.
func (u *User) IsAny() bool { return u.User.Secret.Kind == hash.KindPlain && u.User.Raw == "any" }

// Permission is one {action, path} pair, compiled.
type Permission struct {
	authz.Permission
	// Raw keeps the values as written, for the config API.
	RawAction, RawPath string
}

func (p *Permission) decodeNode(d *decoder, n *yaml.Node, key string) {
	var raw struct {
		Action string `yaml:"action"`
		Path   string `yaml:"path"`
	}
	// Over what p holds: an environment override changes one of the two
	// (MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_PATH); from a file p is new.
	raw.Action, raw.Path = p.RawAction, p.RawPath
	before := len(d.errs)
	d.decode(n, reflect.ValueOf(&raw).Elem(), key)
	if len(d.errs) > before {
		return
	}
	if raw.Action == "" {
		d.errAt(key+".action", "must be set (%s)", strings.Join(actionNames(), ", "))
		return
	}
	a, err := authz.ParseAction(raw.Action)
	if err != nil {
		d.errAt(key+".action", "%v", err)
		return
	}
	m, err := authz.CompilePath(raw.Path)
	if err != nil {
		d.errAt(key+".path", "%v", err)
		return
	}
	*p = Permission{Permission: authz.Permission{Action: a, Path: m}, RawAction: raw.Action, RawPath: raw.Path}
}

func actionNames() []string {
	out := make([]string, len(authz.Actions))
	for i, a := range authz.Actions {
		out[i] = string(a)
	}
	return out
}

// Network is a client network: a CIDR or a single address.
type Network struct{ netip.Prefix }

func (nw *Network) decodeNode(d *decoder, n *yaml.Node, key string) {
	if p, ok := scalarAs(d, n, key, "an address or CIDR", authz.ParseNetwork); ok {
		nw.Prefix = p
	}
}

// Networks converts a list to authz form.
func Networks(ns []Network) authz.Networks {
	if len(ns) == 0 {
		return nil
	}
	out := make(authz.Networks, len(ns))
	for i, n := range ns {
		out[i] = n.Prefix
	}
	return out
}

// LabelRule is a Savant routing-label rule (seed 001) given as a YAML or JSON
// object: {set: L}, {unset: L}, {and: [...]}, {or: [...]}, {not: R}.
type LabelRule struct {
	// Rule is the compiled rule; nil allows every label set.
	Rule *authz.LabelRule
}

func (r *LabelRule) decodeNode(d *decoder, n *yaml.Node, key string) {
	v, ok := d.generic(n, key)
	if !ok {
		return
	}
	rule, err := authz.ParseLabelRule(v)
	if err != nil {
		d.errorf(n, key, "%v", err)
		return
	}
	r.Rule = rule
}

// ByteSize is a size in bytes, written as a number or with a unit (16MiB, 256KB).
type ByteSize int64

func (b *ByteSize) decodeNode(d *decoder, n *yaml.Node, key string) {
	v, ok := scalarAs(d, n, key, "a size such as 16MiB", func(s string) (uint64, error) {
		v, err := humanize.ParseBytes(s)
		if err != nil || v > 1<<40 {
			return 0, fmt.Errorf("want a size such as 16MiB or 262144, got %q", s)
		}
		return v, nil
	})
	if ok {
		*b = ByteSize(v)
	}
}

// FileMode is a Unix permission mode, written in octal (0777) or as a decimal
// number (511, as the Media Gateway JSON does).
type FileMode uint32

func (m *FileMode) decodeNode(d *decoder, n *yaml.Node, key string) {
	v, ok := scalarAs(d, n, key, "a mode such as 0777", func(s string) (uint64, error) {
		base, digits := 10, s
		switch {
		case strings.HasPrefix(s, "0o"):
			base, digits = 8, s[2:]
		case len(s) > 1 && s[0] == '0':
			base, digits = 8, s[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || v > 0o777 {
			return 0, fmt.Errorf("want a permission mode from 0 to 0777, got %q", s)
		}
		return v, nil
	})
	if ok {
		*m = FileMode(v)
	}
}
