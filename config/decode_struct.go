package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "want a list, got %s", nodeKind(n))
		return
	}
	out := d.envOverlaySlice(n, v)
	for i, item := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.lines[k] = item
		d.decode(item, out.Index(i), k)
	}
	v.Set(out)
}

// field is one decodable struct field. index is its path through structs
// embedded with `yaml:",inline"` (reflect.Value.FieldByIndex).
type field struct {
	name  string
	index []int
}

var fieldCache sync.Map // reflect.Type → []field

// fieldsOf lists t's keys; the fields of a struct embedded with
// `yaml:",inline"` count as t's own (a Path's hooks and source keys).
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			for _, sub := range fieldsOf(f.Type) {
				fs = append(fs, field{name: sub.name, index: append([]int{i}, sub.index...)})
			}
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fs = append(fs, field{name: name, index: []int{i}})
	}
	fieldCache.Store(t, fs)
	return fs
}

func lookupField(t reflect.Type, name string) (field, bool) {
	for _, f := range fieldsOf(t) {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of keys, got %s", nodeKind(n))
		return
	}
	t := v.Type()
	ps := d.pairs(n, key, 0)
	set := make(map[string]bool, len(ps)) // the keys this mapping sets, for deprecated ones
	for _, p := range ps {
		set[p.kn.Value] = true
	}
	d.walkPairs(ps, key, func(kn, vn *yaml.Node, k string) {
		if f, ok := lookupField(t, kn.Value); ok {
			d.decode(vn, v.FieldByIndex(f.index), k)
			return
		}
		if dep, ok := lookupDeprecated(t, kn.Value); ok {
			d.decodeDeprecated(dep, v, kn, vn, key, set)
			return
		}
		if u, ok := lookupUnsupported(t, kn.Value); ok {
			d.noteUnsupported(u, kn, vn, key)
			return
		}
		d.errorf(kn, k, "unknown key%s", suggest(t, kn.Value))
	})
}

// suggest names the key of t (or a key streamgate knows from MediaMTX) whose
// spelling is nearest to name: differing only in case, or by a few edits.
func suggest(t reflect.Type, name string) string {
	if len(name) > 64 {
		return "" // no key is that long; and the distance costs len²
	}
	var names []string
	for _, f := range fieldsOf(t) {
		names = append(names, f.name)
	}
	for old := range deprecatedKeys[t] {
		names = append(names, old)
	}
	for _, u := range unsupportedKeys[t] {
		names = append(names, u.name)
	}
	slices.Sort(names[len(fieldsOf(t)):])       // map order must not pick between equals
	best, bestDist := "", 1+max(1, len(name)/4) // rtspAdress → rtspAddress; z → nothing
	lower := strings.ToLower(name)
	for _, n := range names {
		dist := editDistance(lower, strings.ToLower(n))
		if dist < bestDist {
			best, bestDist = n, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (bytes; optimal string alignment).
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			rows[i][j] = min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				rows[i][j] = min(rows[i][j], rows[i-2][j-2]+1)
			}
		}
	}
	return rows[len(a)][len(b)]
}

// eachKey walks a mapping's pairs in file order, refusing duplicate and
// non-scalar keys. A merge key (<<: *anchor, or a list of anchors) stands
// for the merged mappings' pairs, except those an explicit key of n or an
// earlier merged mapping sets (YAML 1.1).
func (d *decoder) eachKey(n *yaml.Node, key string, fn func(kn, vn *yaml.Node, k string)) {
	d.walkPairs(d.pairs(n, key, 0), key, fn)
}

// walkPairs calls fn for each of a mapping's pairs (pairs), noting where
// each key was set.
func (d *decoder) walkPairs(ps []pair, key string, fn func(kn, vn *yaml.Node, k string)) {
	for _, p := range ps {
		k := joinKey(key, p.kn.Value)
		d.lines[k] = p.kn
		if _, fromEnv := d.env[p.vn]; fromEnv {
			// A value set by an environment override: later problems
			// with it name the variable, not the file line of the key.
			d.lines[k] = p.vn
		}
		if p.aliased {
			d.expanding++
		}
		fn(p.kn, p.vn, k)
		if p.aliased {
			d.expanding--
		}
	}
}
