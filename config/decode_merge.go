package config

import (
	"go.yaml.in/yaml/v3"
)

// pair is one key of a mapping, merge keys resolved.
type pair struct {
	kn, vn *yaml.Node
	// aliased: reached through an alias whose values the load has counted
	// already (chargeAlias), so aliases inside are not counted again.
	aliased bool
}

// maxMergeDepth bounds merge keys inside merged mappings.
const maxMergeDepth = 16

// pairs lists mapping n's keys in file order with merge keys resolved: a
// merged pair is left out when an explicit key of n, or an earlier merged
// mapping, sets it (YAML 1.1). Problems of n's own keys are reported at
// depth 0 only: a merged mapping's are reported where it is decoded itself.
func (d *decoder) pairs(n *yaml.Node, key string, depth int) []pair {
	explicit := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if kn := resolveAlias(n.Content[i]); kn.Kind == yaml.ScalarNode && !isMergeKey(kn) {
			explicit[kn.Value] = true
		}
	}
	report := depth == 0
	out := make([]pair, 0, len(n.Content)/2)
	first := make(map[string]int, len(n.Content)/2) // explicit key → line
	fromMerge := map[string]bool{}
	merges := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolveAlias(n.Content[i]), n.Content[i+1]
		switch {
		case kn.Kind != yaml.ScalarNode:
			if report {
				d.errorf(kn, key, "keys must be plain names, got %s", nodeKind(kn))
			}
		case isMergeKey(kn):
			if merges++; merges > 1 {
				if report {
					d.errorf(kn, key, "duplicate merge key (<<): list the mappings in one")
				}
				continue
			}
			for _, p := range d.merged(vn, key, depth) {
				if !explicit[p.kn.Value] && !fromMerge[p.kn.Value] {
					fromMerge[p.kn.Value] = true
					out = append(out, p)
				}
			}
		default:
			if line, dup := first[kn.Value]; dup {
				if report {
					d.errorf(kn, joinKey(key, kn.Value), "duplicate key (first set on line %d)", line)
				}
				continue
			}
			first[kn.Value] = kn.Line
			out = append(out, pair{kn: kn, vn: vn})
		}
	}
	return out
}

// isMergeKey: a plain << (a quoted '<<' is an ordinary key).
func isMergeKey(kn *yaml.Node) bool {
	return kn.Value == "<<" && kn.Tag == "!!merge"
}

// merged lists the pairs a merge key's value stands for: one mapping, or a
// list of them, the earlier ones winning.
func (d *decoder) merged(vn *yaml.Node, key string, depth int) []pair {
	if depth >= maxMergeDepth {
		d.errorf(vn, key, "merge keys (<<) nested deeper than %d", maxMergeDepth)
		return nil
	}
	var maps []*yaml.Node
	var via []bool // reached through an alias
	m := resolveAlias(vn)
	if vn.Kind == yaml.AliasNode && !d.chargeAlias(vn, key) {
		return nil
	}
	switch {
	case m != nil && m.Kind == yaml.MappingNode:
		maps, via = []*yaml.Node{m}, []bool{vn.Kind == yaml.AliasNode}
	case m != nil && m.Kind == yaml.SequenceNode:
		for _, item := range m.Content {
			// The items of an aliased list were counted with it.
			if vn.Kind != yaml.AliasNode && item.Kind == yaml.AliasNode && !d.chargeAlias(item, key) {
				return nil
			}
			maps = append(maps, resolveAlias(item))
			via = append(via, vn.Kind == yaml.AliasNode || item.Kind == yaml.AliasNode)
		}
	}
	var out []pair
	seen := map[string]bool{}
	for i, mm := range maps {
		if mm == nil || mm.Kind != yaml.MappingNode {
			d.errorf(vn, key, "a merge key (<<) wants a mapping or a list of mappings")
			return nil
		}
		if via[i] {
			d.expanding++
		}
		ps := d.pairs(mm, key, depth+1)
		if via[i] {
			d.expanding--
		}
		for _, p := range ps {
			if !seen[p.kn.Value] {
				seen[p.kn.Value] = true
				p.aliased = p.aliased || via[i]
				out = append(out, p)
			}
		}
	}
	if maps == nil && (m == nil || m.Kind != yaml.SequenceNode) {
		d.errorf(vn, key, "a merge key (<<) wants a mapping or a list of mappings")
	}
	return out
}
