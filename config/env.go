package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment overrides, as MediaMTX reads them (internal/conf/env): the
// key upper-cased with "_" between levels — MTX_RTSPADDRESS,
// MTX_AUTHQUARANTINE_PERIOD, MTX_AUTHINTERNALUSERS_0_PASS,
// MTX_PATHS_CAM1_SAVANTLABELS. Three prefixes, applied in this order so that
// the later wins: RTSP_ (MediaMTX's legacy prefix, still read by it),
// MTX_, and STREAMGATE_.
//
// An override applies on top of the defaults and the file, as in MediaMTX:
// MTX_AUTHINTERNALUSERS_0_USER changes the name of user 0 — of the file's
// list, or of the default list when the file has none — and keeps the
// rest of that user; an index past the end appends an item, and a list
// ends at its first index that no variable sets (later items are ignored,
// with a warning). An empty value empties a list. Lists of values take
// comma-separated values; booleans yes/no/true/false; durations units.
//
// Overrides are written into the file's node tree before it is decoded,
// so that a deprecated key (MTX_PROTOCOLS, MTX_PATHS_CAM_READUSER) is
// mapped exactly as in a file, and an error about a value names the
// variable. An MTX_ variable that names no key is a warning (Conf.Warnings;
// MediaMTX ignores it silently); an unknown STREAMGATE_ variable is an
// error; an unknown RTSP_ one is ignored (RTSP_PORT and friends are
// MediaMTX's hook variables).

// envPrefixes in the order they apply.
var envPrefixes = []string{"RTSP_", "MTX_", "STREAMGATE_"}

// envIgnored are variables with an override prefix that are not overrides.
var envIgnored = map[string]bool{"STREAMGATE_CONFIG": true}

// envRefused are MediaMTX variables streamgate cannot honour.
var envRefused = map[string]string{
	"MTX_CONFKEY":  "encrypted configuration files are not supported by streamgate",
	"RTSP_CONFKEY": "encrypted configuration files are not supported by streamgate",
}

// envExtraKey returns the key of struct type t that upper names among the
// keys a file may hold that are not t's fields — MediaMTX's deprecated keys
// (deprecated.go) and the unsupported ones (unsupported.go) — and whether it
// takes a list. An override naming one is written under that key so that it
// is read exactly as the file's would be.
func envExtraKey(t reflect.Type, upper string) (name string, list, ok bool) {
	for k, dep := range deprecatedKeys[t] {
		if strings.ToUpper(k) != upper {
			continue
		}
		if f, found := lookupField(t, dep.to); found && dep.read == renamed {
			list = t.FieldByIndex(f.index).Type.Kind() == reflect.Slice
		}
		return k, list, true
	}
	if u, found := lookupUnsupportedUpper(t, upper); found {
		return u.name, len(u.defaults) > 0 && strings.HasPrefix(u.defaults[0], "["), true
	}
	return "", false, false
}

func lookupUnsupportedUpper(t reflect.Type, upper string) (unsupportedKey, bool) {
	for _, u := range unsupportedKeys[t] {
		if strings.ToUpper(u.name) == upper {
			return u, true
		}
	}
	return unsupportedKey{}, false
}

type envVar struct{ name, key, value string }

// envList is a list an override reached: have is how many items it holds
// before the overrides (the file's, or the value's the file left alone).
type envList struct {
	seq  *yaml.Node
	have int
	key  string
}

// envApply writes overrides into a node tree.
type envApply struct {
	d       *decoder
	v       envVar
	created map[*yaml.Node]bool // values made for keys the file does not have
	padded  map[*yaml.Node]bool // list items made only to reach a higher index
	lists   map[*yaml.Node]*envList
	order   []*envList
}

// envState is what the decoder keeps of the overrides.
type envState struct {
	// overlay: sequences made by overrides for a list the file does not
	// set; their items are decoded over the items already there (the
	// defaults), as MediaMTX does, instead of replacing the list.
	overlay  map[*yaml.Node]bool
	warnings []string
}

func applyEnv(d *decoder, doc *yaml.Node, base reflect.Value, env []string) {
	d.envs = &envState{overlay: map[*yaml.Node]bool{}}
	var vars []envVar
	seen := map[string]int{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		for _, prefix := range envPrefixes {
			if strings.HasPrefix(name, prefix) && len(name) > len(prefix) && !envIgnored[name] {
				if i, dup := seen[name]; dup {
					vars[i].value = value // the last one wins, as in os.Getenv's map
					continue
				}
				seen[name] = len(vars)
				vars = append(vars, envVar{name: name, key: name[len(prefix):], value: value})
			}
		}
	}
	rank := func(name string) int {
		return slices.IndexFunc(envPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	}
	sort.SliceStable(vars, func(i, j int) bool {
		if ri, rj := rank(vars[i].name), rank(vars[j].name); ri != rj {
			return ri < rj
		}
		return vars[i].name < vars[j].name
	})
	a := &envApply{d: d, created: map[*yaml.Node]bool{}, padded: map[*yaml.Node]bool{}, lists: map[*yaml.Node]*envList{}}
	for _, v := range vars {
		if msg, ok := envRefused[v.name]; ok {
			d.errs = append(d.errs, &Error{File: "env " + v.name, Msg: msg})
			continue
		}
		a.v = v
		if a.set(doc, reflect.TypeFor[Conf](), base, strings.Split(v.key, "_"), "") {
			continue
		}
		switch {
		case strings.HasPrefix(v.name, "STREAMGATE_"):
			d.errs = append(d.errs, &Error{File: "env " + v.name, Msg: "names no configuration key"})
		case strings.HasPrefix(v.name, "MTX_"):
			d.envs.warnings = append(d.envs.warnings, "env "+v.name+": names no configuration key; ignored")
		}
	}
	a.endGaps()
}

// set walks the node tree n along the struct type t, creating nodes as
// needed, and stores the value at the end. cur is the value decoding will
// start from at n (invalid: the zero value). It reports whether the
// variable named a key.
func (a *envApply) set(n *yaml.Node, t reflect.Type, cur reflect.Value, segs []string, key string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		if cur.IsValid() {
			cur = cur.Elem() // invalid when nil
		}
	}
	switch {
	case t == reflect.TypeFor[Paths]():
		return a.setPath(n, segs, key)
	case t == reflect.TypeFor[Permission]() && len(segs) == 1 && (segs[0] == "ACTION" || segs[0] == "PATH"):
		// MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTION: Permission reads
		// its own {action, path} mapping.
		a.setValue(a.child(n, strings.ToLower(segs[0])), reflect.TypeFor[string]())
		return true
	case t.Kind() == reflect.Struct && len(segs) > 0 && !reflect.PointerTo(t).Implements(decoderType):
		for _, f := range fieldsOf(t) {
			if strings.ToUpper(f.name) == segs[0] {
				var fv reflect.Value
				if cur.IsValid() {
					fv, _ = cur.FieldByIndexErr(f.index)
				}
				return a.set(a.child(n, f.name), t.FieldByIndex(f.index).Type, fv, segs[1:], joinKey(key, f.name))
			}
		}
		if name, list, ok := envExtraKey(t, segs[0]); ok && len(segs) == 1 {
			vt := reflect.TypeFor[string]()
			if list {
				vt = reflect.TypeFor[[]string]()
			}
			a.setValue(a.child(n, name), vt)
			return true
		}
		return false
	case t.Kind() == reflect.Slice && len(segs) > 0 && t.Elem().Kind() == reflect.Struct:
		i, err := strconv.Atoi(segs[0])
		if err != nil || i < 0 || i > 10000 || strconv.Itoa(i) != segs[0] {
			return false
		}
		l := a.list(n, cur, key)
		for len(n.Content) <= i {
			item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			a.d.env[item] = a.v.name
			a.padded[item] = true
			n.Content = append(n.Content, item)
		}
		if n.Content[i].Kind == yaml.AliasNode {
			// Change this use of the anchored item, not every use.
			n.Content[i] = cloneNode(resolveAlias(n.Content[i]), 0)
		}
		delete(a.padded, n.Content[i])
		var iv reflect.Value
		if a.d.envs.overlay[l.seq] && cur.IsValid() && i < cur.Len() {
			iv = cur.Index(i)
		}
		return a.set(n.Content[i], t.Elem(), iv, segs[1:], fmt.Sprintf("%s[%d]", key, i))
	case len(segs) == 0:
		a.setValue(n, t)
		return true
	}
	return false
}

// list makes n a sequence (if it is not one) and records how many items
// it held before the overrides.
func (a *envApply) list(n *yaml.Node, cur reflect.Value, key string) *envList {
	if l, ok := a.lists[n]; ok {
		return l
	}
	l := &envList{seq: n, key: key}
	switch {
	case n.Kind == yaml.SequenceNode:
		l.have = len(n.Content)
	case a.created[n]:
		// The file does not set this list: the items are those of the
		// value already there (the defaults), changed field by field.
		*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		a.d.env[n] = a.v.name
		if cur.IsValid() {
			a.d.envs.overlay[n] = true
			l.have = cur.Len()
		}
	default:
		// The file sets it to nothing (an empty list) or to something
		// that is not a list: the overrides start a new list.
		*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		a.d.env[n] = a.v.name
	}
	a.lists[n] = l
	a.order = append(a.order, l)
	return l
}

// endGaps ends each list at its first index past the items it had that no
// variable set, as MediaMTX does; the variables of the items after it are
// ignored, with a warning.
func (a *envApply) endGaps() {
	for _, l := range a.order {
		cut := -1
		for i := l.have; i < len(l.seq.Content); i++ {
			if a.padded[l.seq.Content[i]] {
				cut = i
				break
			}
		}
		if cut < 0 {
			continue
		}
		names := map[string]bool{}
		for _, item := range l.seq.Content[cut:] {
			if !a.padded[item] {
				a.collectNames(item, names)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(names)) {
			a.d.envs.warnings = append(a.d.envs.warnings, fmt.Sprintf(
				"env %s: ignored: %s has %d items and no variable sets item %d (a list ends at its first gap, as in MediaMTX)",
				name, l.key, cut, cut))
		}
		l.seq.Content = l.seq.Content[:cut]
	}
}

func (a *envApply) collectNames(n *yaml.Node, out map[string]bool) {
	if name, ok := a.d.env[n]; ok {
		out[name] = true
	}
	for _, c := range n.Content {
		a.collectNames(c, out)
	}
}

// setPath handles MTX_PATHS_<NAME>_<KEY…>. MediaMTX takes the first
// segment as the name; when the rest names no key of a path, longer names
// are tried, so that a name may contain "_" (MTX_PATHS_MY_CAM_SOURCE: path
// my_cam). An existing path matches case-insensitively, a new one is
// created lower-cased; its other settings are pathDefaults'.
func (a *envApply) setPath(n *yaml.Node, segs []string, key string) bool {
	split := 0
	for i := 1; i < len(segs); i++ {
		if envResolves(reflect.TypeFor[Path](), segs[i:]) {
			split = i
			break
		}
	}
	if split == 0 {
		return false
	}
	name := strings.Join(segs[:split], "_")
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		a.d.env[n] = a.v.name
	}
	pathName := strings.ToLower(name)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.ToUpper(n.Content[i].Value) == name {
			pathName = n.Content[i].Value
		}
	}
	child := a.child(n, pathName)
	return a.set(child, reflect.TypeFor[Path](), reflect.Value{}, segs[split:], joinKey(key, pathName))
}

// envResolves reports whether segs name a key of t, as set walks them.
func envResolves(t reflect.Type, segs []string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case len(segs) == 0:
		return true
	case t == reflect.TypeFor[Paths]():
		return len(segs) >= 2
	case t == reflect.TypeFor[Permission]():
		return len(segs) == 1 && (segs[0] == "ACTION" || segs[0] == "PATH")
	case t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(decoderType):
		if f, ok := findFieldUpper(t, segs[0]); ok {
			return envResolves(t.FieldByIndex(f.index).Type, segs[1:])
		}
		_, _, ok := envExtraKey(t, segs[0])
		return ok && len(segs) == 1
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		i, err := strconv.Atoi(segs[0])
		return err == nil && i >= 0 && i <= 10000 && strconv.Itoa(i) == segs[0] && envResolves(t.Elem(), segs[1:])
	}
	return false
}

func findFieldUpper(t reflect.Type, upper string) (field, bool) {
	for _, f := range fieldsOf(t) {
		if strings.ToUpper(f.name) == upper {
			return f, true
		}
	}
	return field{}, false
}

// child returns the value node of key in mapping n, creating it (and
// making n a mapping if it is not one).
func (a *envApply) child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		a.d.env[n] = a.v.name
	}
	delete(a.padded, n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if resolveAlias(n.Content[i]).Value == key {
			if v := n.Content[i+1]; v.Kind == yaml.AliasNode {
				// Change this use of the anchored value, not every use.
				n.Content[i+1] = cloneNode(resolveAlias(v), 0)
			}
			return n.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	a.d.env[k], a.d.env[val] = a.v.name, a.v.name
	a.created[val] = true
	n.Content = append(n.Content, k, val)
	return val
}

// setValue replaces n with the variable's value: a comma-separated list
// for lists of values (an empty value is an empty list), a scalar
// otherwise.
func (a *envApply) setValue(n *yaml.Node, t reflect.Type) {
	d, v := a.d, a.v
	if t.Kind() == reflect.Slice && t != reflect.TypeFor[AuthMethods]() {
		*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v.value != "" {
			for _, s := range strings.Split(v.value, ",") {
				item := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(s)}
				d.env[item] = v.name
				n.Content = append(n.Content, item)
			}
		}
	} else if t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(decoderType) && t != reflect.TypeFor[Credential]() && t != reflect.TypeFor[Password]() {
		// A rule given as JSON text: parse it into nodes.
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(v.value), &node); err != nil || len(node.Content) == 0 {
			*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.value}
		} else {
			*n = *node.Content[0]
			markEnv(d, n, v.name)
		}
	} else {
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.value}
	}
	d.env[n] = v.name
}

// cloneNode copies n and what it holds (aliases within stay aliases).
func cloneNode(n *yaml.Node, depth int) *yaml.Node {
	c := *n
	if depth < 64 && n.Kind != yaml.AliasNode {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, sub := range n.Content {
			c.Content[i] = cloneNode(sub, depth+1)
		}
	}
	return &c
}

func markEnv(d *decoder, n *yaml.Node, name string) {
	d.env[n] = name
	for _, c := range n.Content {
		markEnv(d, c, name)
	}
}

// envOverlaySlice starts the decoding of sequence n into the slice v: a
// copy of what v holds when an override made n for a list the file does
// not set (its items change those items), else a new slice.
func (d *decoder) envOverlaySlice(n *yaml.Node, v reflect.Value) reflect.Value {
	if d.envs == nil || !d.envs.overlay[n] {
		return reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	}
	out := reflect.MakeSlice(v.Type(), max(v.Len(), len(n.Content)), max(v.Len(), len(n.Content)))
	reflect.Copy(out, v)
	return out
}
