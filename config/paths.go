package config

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/authz"
)

// Path is the configuration of one path (or of pathDefaults).
type Path struct {
	// PathSource: where the stream comes from (source, sourceOnDemand, …).
	PathSource `yaml:",inline"`
	// PathHooks: the path's runOn… hooks.
	PathHooks `yaml:",inline"`
	// MaxReaders caps the readers of the path (0 = unlimited).
	MaxReaders int `yaml:"maxReaders"`
	// OverridePublisher lets a new publisher replace the current one.
	OverridePublisher bool `yaml:"overridePublisher"`
	// PublishUser is the user allowed to publish (seed 004 precedence).
	PublishUser string `yaml:"publishUser"`
	// PublishPass is PublishUser's password (seed 004 precedence).
	PublishPass Password `yaml:"publishPass"`
	// ReadUser is the user allowed to read (seed 004 precedence).
	ReadUser string `yaml:"readUser"`
	// ReadPass is ReadUser's password (seed 004 precedence).
	ReadPass Password `yaml:"readPass"`
	// PublishIPs, when not empty, are the only client networks that may
	// publish the path (MediaMTX's deprecated publishIPs, kept with
	// publishUser in the seed 004 precedence backend).
	PublishIPs []Network `yaml:"publishIPs"`
	// ReadIPs, when not empty, are the only client networks that may read
	// the path (MediaMTX's deprecated readIPs).
	ReadIPs []Network `yaml:"readIPs"`
	// SRTPublishPassphrase encrypts SRT publishing on this path.
	SRTPublishPassphrase Secret `yaml:"srtPublishPassphrase"`
	// SRTReadPassphrase encrypts SRT reading on this path.
	SRTReadPassphrase Secret `yaml:"srtReadPassphrase"`
	// Savant sends this path's video to the Savant output (default: yes
	// when savant.url is set).
	Savant *bool `yaml:"savant"`
	// SavantSourceID is the Savant source id (default: the path name).
	SavantSourceID string `yaml:"savantSourceID"`
	// SavantLabels are the routing labels of this path's Savant messages;
	// a publisher's label rule is checked against them.
	SavantLabels []string `yaml:"savantLabels"`
}

// NamedPath is a configured path with its compiled name.
type NamedPath struct {
	// Name is the key as written: a name, "~regex" or "all_others".
	Name string
	// Matcher matches request paths against Name.
	Matcher authz.PathMatcher
	Path
	// catchAll marks all_others (and all): matched after every other path.
	catchAll bool
}

// Paths are the configured paths in file order.
type Paths struct {
	List []NamedPath
	// nodes are kept until the defaults are known (pathDefaults may follow paths).
	nodes []pathNode
}

type pathNode struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

func (ps *Paths) decodeNode(d *decoder, n *yaml.Node, key string) {
	ps.nodes = nil
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of path names, got %s", nodeKind(n))
		return
	}
	d.eachKey(n, key, func(kn, vn *yaml.Node, _ string) {
		ps.nodes = append(ps.nodes, pathNode{name: kn.Value, key: kn, val: vn})
	})
}

// finish decodes every path over a copy of the defaults.
func (ps *Paths) finish(d *decoder, defaults Path) {
	ps.List = ps.List[:0]
	for _, pn := range ps.nodes {
		key := "paths." + pn.name
		np := NamedPath{Name: pn.name, Path: clonePath(defaults)}
		var err error
		switch {
		case pn.name == "all_others" || pn.name == "all":
			np.Matcher, err = authz.CompilePath("~.*")
			np.catchAll = true
		case strings.HasPrefix(pn.name, "~"):
			np.Matcher, err = authz.CompilePath(pn.name)
		default:
			err = authz.CheckPathName(pn.name) // the rules every listener applies
			if err == nil {
				np.Matcher, err = authz.CompilePath(pn.name)
			}
		}
		if err != nil {
			d.errorf(pn.key, key, "%v", err)
			continue
		}
		d.decode(pn.val, reflect.ValueOf(&np.Path).Elem(), key)
		ps.List = append(ps.List, np)
	}
}

func clonePath(p Path) Path {
	p.PublishIPs = append([]Network(nil), p.PublishIPs...)
	p.ReadIPs = append([]Network(nil), p.ReadIPs...)
	p.SavantLabels = append([]string(nil), p.SavantLabels...)
	if p.Savant != nil {
		v := *p.Savant
		p.Savant = &v
	}
	return p
}

// Find returns the configuration of a request path, whatever the order of
// the file: an exact name first, then the first regular expression (file
// order) that matches the whole path, then all_others (or all). ok is false
// when no path is configured for it.
func (ps *Paths) Find(path string) (np *NamedPath, ok bool) {
	for i := range ps.List {
		if !ps.List[i].Matcher.IsRegexp() && ps.List[i].Name == path {
			return &ps.List[i], true
		}
	}
	for i := range ps.List {
		if ps.List[i].Matcher.IsRegexp() && !ps.List[i].catchAll && ps.List[i].Matcher.Match(path) {
			return &ps.List[i], true
		}
	}
	for i := range ps.List {
		if ps.List[i].catchAll {
			return &ps.List[i], true
		}
	}
	return nil, false
}
