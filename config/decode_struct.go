package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "want a list, got %s", nodeKind(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
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

// suggest names a field whose spelling differs only in case.
func suggest(t reflect.Type, name string) string {
	for _, f := range fieldsOf(t) {
		if strings.EqualFold(f.name, name) {
			return fmt.Sprintf(" (did you mean %s?)", f.name)
		}
	}
	return ""
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of keys, got %s", nodeKind(n))
		return
	}
	d.eachKey(n, key, func(kn, vn *yaml.Node, k string) {
		f, ok := lookupField(v.Type(), kn.Value)
		if !ok {
			d.errorf(kn, joinKey(key, kn.Value), "unknown key%s", suggest(v.Type(), kn.Value))
			return
		}
		d.decode(vn, v.FieldByIndex(f.index), k)
	})
}

// eachKey walks a mapping's pairs, refusing duplicate and non-scalar keys.
func (d *decoder) eachKey(n *yaml.Node, key string, fn func(kn, vn *yaml.Node, k string)) {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolveAlias(n.Content[i]), n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			d.errorf(kn, key, "keys must be plain names, got %s", nodeKind(kn))
			continue
		}
		if kn.Value == "<<" {
			d.errorf(kn, key, "merge keys (<<) are not supported")
			continue
		}
		k := joinKey(key, kn.Value)
		if line, dup := seen[kn.Value]; dup {
			d.errorf(kn, k, "duplicate key (first set on line %d)", line)
			continue
		}
		seen[kn.Value] = kn.Line
		d.lines[k] = kn
		if _, fromEnv := d.env[vn]; fromEnv {
			// A value set by an environment override: later problems
			// with it name the variable, not the file line of the key.
			d.lines[k] = vn
		}
		fn(kn, vn, k)
	}
}
