package config

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Bounds on free-form values (label rules): nesting, and values in all —
// YAML aliases could otherwise expand a small file into billions of nodes.
const (
	maxGenericDepth = 64
	maxGenericNodes = 1 << 14
)

// generic converts a node into map[string]any / []any / string / nil, as
// encoding/json would, so that rule parsers share one input shape. Bounds
// are reported at key, the value's own key.
func (d *decoder) generic(n *yaml.Node, key string) (any, bool) {
	g := genericWalk{d: d, root: n, key: key}
	v, ok := g.walk(n, key, 0)
	return v, ok && !g.failed
}

type genericWalk struct {
	d      *decoder
	root   *yaml.Node
	key    string
	nodes  int
	failed bool
}

func (g *genericWalk) fail(format string, args ...any) (any, bool) {
	if !g.failed {
		g.failed = true
		g.d.errorf(g.root, g.key, format, args...)
	}
	return nil, false
}

func (g *genericWalk) walk(n *yaml.Node, key string, depth int) (any, bool) {
	if n != nil && n.Kind == yaml.AliasNode {
		if !g.d.chargeAlias(n, g.key) {
			g.failed = true
			return nil, false
		}
		g.d.expanding++
		defer func() { g.d.expanding-- }()
	}
	n = resolveAlias(n)
	if depth > maxGenericDepth {
		return g.fail("nested deeper than %d levels", maxGenericDepth)
	}
	if g.nodes++; g.nodes > maxGenericNodes {
		return g.fail("has more than %d values (aliases included)", maxGenericNodes)
	}
	if isNull(n) {
		return nil, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		g.d.eachKey(n, key, func(kn, vn *yaml.Node, k string) {
			if !ok {
				return
			}
			val, good := g.walk(vn, k, depth+1)
			ok = ok && good
			m[kn.Value] = val
		})
		return m, ok
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, good := g.walk(item, fmt.Sprintf("%s[%d]", key, i), depth+1)
			if !good {
				return nil, false
			}
			l = append(l, val)
		}
		return l, true
	case yaml.ScalarNode:
		if slices.Contains([]string{"!!int", "!!float", "!!bool"}, n.Tag) {
			var v any
			if err := n.Decode(&v); err == nil {
				return v, true
			}
		}
		return n.Value, true
	}
	g.d.errorf(n, key, "unsupported value")
	return nil, false
}
