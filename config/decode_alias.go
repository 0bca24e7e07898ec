package config

import (
	"go.yaml.in/yaml/v3"
)

// maxAliasWork bounds the values one load reaches through YAML aliases. An
// alias is decoded each time it is used, so without a bound a small file
// ("billion laughs") could expand to more values than memory holds.
const maxAliasWork = 1 << 16

// chargeAlias counts the values alias n expands to, unless an enclosing
// alias has counted them already. It is false once the load has expanded
// too many; the first time, it reports that at key.
func (d *decoder) chargeAlias(n *yaml.Node, key string) bool {
	if d.expanding > 0 {
		return true
	}
	over := d.aliasWork > maxAliasWork
	d.aliasWork += d.aliasSize(resolveAlias(n), 0)
	if d.aliasWork <= maxAliasWork {
		return true
	}
	if !over {
		d.errorf(n, key, "YAML aliases expand to more than %d values", maxAliasWork)
	}
	return false
}

// aliasSize counts the nodes n stands for, aliases expanded, capped just
// above maxAliasWork. Nothing decodes deeper than 64 levels (the config
// types, and maxGenericDepth, end sooner), so neither does the count.
func (d *decoder) aliasSize(n *yaml.Node, depth int) int {
	if n == nil || depth > 64 {
		return 1
	}
	if v, ok := d.sizes[n]; ok {
		return v
	}
	if d.sizes == nil {
		d.sizes = map[*yaml.Node]int{}
	}
	size := 1
	for _, c := range n.Content {
		if size > maxAliasWork {
			break
		}
		size += d.aliasSize(resolveAlias(c), depth+1)
	}
	size = min(size, maxAliasWork+1)
	d.sizes[n] = size
	return size
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}
