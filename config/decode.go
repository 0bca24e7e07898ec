package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// nodeDecoder is implemented by config types that read themselves from a
// YAML node (a string-or-list, a label rule, a size with units).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, key string)
}

// decoder turns a yaml.Node tree into config structs strictly: unknown keys,
// duplicate keys and values of the wrong type are errors that name the file,
// line and key path. It collects every problem instead of stopping at the first.
type decoder struct {
	file  string
	env   map[*yaml.Node]string // nodes made from environment overrides → variable name
	lines map[string]*yaml.Node // key path → the node that set it, for later validation errors
	alias map[string]string     // model key → the key the file used (Media Gateway dialect)
	errs  Errors
	envs  *envState // environment overrides (env.go)

	aliasWork int                // values reached through aliases so far
	expanding int                // > 0 while decoding what an alias stands for
	sizes     map[*yaml.Node]int // memo for aliasSize
}

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

// errAt reports a problem with an already decoded key, at the line that set
// it (or the nearest enclosing key the file wrote).
func (d *decoder) errAt(key, format string, args ...any) {
	for k := key; ; {
		if n, ok := d.lines[k]; ok {
			d.errorf(n, key, format, args...)
			return
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			d.errorf(nil, key, format, args...)
			return
		}
		k = k[:i]
	}
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	if a, ok := d.alias[key]; ok {
		key = a
	}
	e := &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if name, ok := d.env[n]; ok {
		e.File = "env " + name
	} else if n != nil {
		e.Line = n.Line
	}
	d.errs = append(d.errs, e)
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	decoderType  = reflect.TypeFor[nodeDecoder]()
)

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// decode stores n into v (settable), overlaying what v already holds, so that
// defaults set before decoding survive keys the file does not mention.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if n != nil && n.Kind == yaml.AliasNode {
		if !d.chargeAlias(n, key) {
			return
		}
		d.expanding++
		defer func() { d.expanding-- }()
	}
	n = resolveAlias(n)
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if v.CanAddr() && v.Addr().Type().Implements(decoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, key)
		return
	}
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key)
		return
	}
	if isNull(n) {
		if v.Kind() == reflect.Slice {
			v.Set(reflect.Zero(v.Type()))
		}
		// A key with no value keeps its default ("pass:" in MediaMTX files).
		return
	}
	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, key)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, key)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, key)
	case v.Kind() == reflect.Interface:
		if val, ok := d.generic(n, key); ok {
			v.Set(reflect.ValueOf(val))
		}
	default:
		d.decodeScalar(n, v, key)
	}
}

func (d *decoder) scalar(n *yaml.Node, key, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, key, "want %s, got %s", want, nodeKind(n))
		return "", false
	}
	return n.Value, true
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) {
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, key, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, key, "yes or no")
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			v.SetBool(true)
		case "no", "false", "off":
			v.SetBool(false)
		default:
			d.errorf(n, key, "want yes or no, got %q", s)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, ok := d.scalar(n, key, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.errorf(n, key, "want a whole number, got %q", s)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		s, ok := d.scalar(n, key, "a whole number ≥ 0")
		if !ok {
			return
		}
		u, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			d.errorf(n, key, "want a whole number from 0 to %d, got %q", uint64(math.MaxUint64>>(64-v.Type().Bits())), s)
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		s, ok := d.scalar(n, key, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.errorf(n, key, "want a number, got %q", s)
			return
		}
		v.SetFloat(f)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, key string) {
	s, ok := d.scalar(n, key, "a duration such as 10s")
	if !ok {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, key, "want a duration such as 10s or 1m30s, got %q", s)
		return
	}
	if dur < 0 {
		d.errorf(n, key, "must not be negative, got %s", s)
		return
	}
	v.SetInt(int64(dur))
}

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
