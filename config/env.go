package config

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment overrides: MTX_<KEY> (MediaMTX's names) and STREAMGATE_<KEY>,
// the key upper-cased with "_" between levels: MTX_RTSPADDRESS,
// MTX_AUTHQUARANTINE_PERIOD, MTX_AUTHINTERNALUSERS_0_PASS,
// MTX_PATHS_CAM1_SAVANTLABELS. Lists of strings take comma-separated values.
// STREAMGATE_ wins over MTX_. Unknown MTX_ variables are ignored (MediaMTX
// sets MTX_PATH and friends for its hooks); an unknown STREAMGATE_ variable
// is an error.

type envVar struct{ name, key, value string }

func applyEnv(d *decoder, doc *yaml.Node, env []string) {
	var vars []envVar
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		for _, prefix := range []string{"MTX_", "STREAMGATE_"} {
			if strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
				vars = append(vars, envVar{name: name, key: name[len(prefix):], value: value})
			}
		}
	}
	// MTX_ first so that STREAMGATE_ overrides it; then by name for stable results.
	sort.SliceStable(vars, func(i, j int) bool {
		pi, pj := strings.HasPrefix(vars[i].name, "MTX_"), strings.HasPrefix(vars[j].name, "MTX_")
		if pi != pj {
			return pi
		}
		return vars[i].name < vars[j].name
	})
	for _, v := range vars {
		if v.name == "STREAMGATE_CONFIG" {
			continue
		}
		if !setEnv(d, doc, reflect.TypeFor[Conf](), strings.Split(v.key, "_"), v) && strings.HasPrefix(v.name, "STREAMGATE_") {
			d.errs = append(d.errs, &Error{File: "env " + v.name, Msg: "names no configuration key"})
		}
	}
}

// setEnv walks the node tree along the struct type t, creating nodes as
// needed, and stores the value at the end. It reports whether the variable
// named a key.
func setEnv(d *decoder, n *yaml.Node, t reflect.Type, segs []string, v envVar) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Paths]():
		return setEnvPath(d, n, segs, v)
	case t == reflect.TypeFor[Permission]() && len(segs) == 1 && (segs[0] == "ACTION" || segs[0] == "PATH"):
		// MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTION: Permission reads
		// its own {action, path} mapping.
		setEnvValue(d, mappingChild(d, n, strings.ToLower(segs[0]), v), reflect.TypeFor[string](), v)
		return true
	case t.Kind() == reflect.Struct && len(segs) > 0 && !reflect.PointerTo(t).Implements(decoderType):
		for _, f := range fieldsOf(t) {
			if strings.ToUpper(f.name) == segs[0] {
				child := mappingChild(d, n, f.name, v)
				return setEnv(d, child, t.FieldByIndex(f.index).Type, segs[1:], v)
			}
		}
		return false
	case t.Kind() == reflect.Slice && len(segs) > 0 && t.Elem().Kind() == reflect.Struct:
		i, err := strconv.Atoi(segs[0])
		if err != nil || i < 0 || i > 10000 {
			return false
		}
		if n.Kind != yaml.SequenceNode {
			*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			d.env[n] = v.name
		}
		for len(n.Content) <= i {
			item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			d.env[item] = v.name
			n.Content = append(n.Content, item)
		}
		return setEnv(d, n.Content[i], t.Elem(), segs[1:], v)
	case len(segs) == 0:
		setEnvValue(d, n, t, v)
		return true
	}
	return false
}

// setEnvPath handles MTX_PATHS_<NAME>_<KEY>: the name may contain "_", so the
// last segment is the key; an existing path matches case-insensitively, a new
// one is created lower-cased.
func setEnvPath(d *decoder, n *yaml.Node, segs []string, v envVar) bool {
	if len(segs) < 2 {
		return false
	}
	name := strings.Join(segs[:len(segs)-1], "_")
	key := segs[len(segs)-1]
	if _, ok := findFieldUpper(reflect.TypeFor[Path](), key); !ok {
		return false
	}
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		d.env[n] = v.name
	}
	pathName := strings.ToLower(name)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.ToUpper(n.Content[i].Value) == name {
			pathName = n.Content[i].Value
		}
	}
	child := mappingChild(d, n, pathName, v)
	return setEnv(d, child, reflect.TypeFor[Path](), []string{key}, v)
}

func findFieldUpper(t reflect.Type, upper string) (field, bool) {
	for _, f := range fieldsOf(t) {
		if strings.ToUpper(f.name) == upper {
			return f, true
		}
	}
	return field{}, false
}

// mappingChild returns the value node of key in mapping n, creating it.
func mappingChild(d *decoder, n *yaml.Node, key string, v envVar) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		d.env[n] = v.name
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	d.env[k], d.env[val] = v.name, v.name
	n.Content = append(n.Content, k, val)
	return val
}

// setEnvValue replaces n with the variable's value: a comma-separated list
// for lists of scalars, a scalar otherwise.
func setEnvValue(d *decoder, n *yaml.Node, t reflect.Type, v envVar) {
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

func markEnv(d *decoder, n *yaml.Node, name string) {
	d.env[n] = name
	for _, c := range n.Content {
		markEnv(d, c, name)
	}
}
