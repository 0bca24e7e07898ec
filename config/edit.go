package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/internal/redact"
)

// Edits through the control API (/v3/config/…/patch, add, replace,
// delete) are applied to the document the configuration was decoded from
// and the result is decoded, compiled and validated as the file is: the
// same keys, deprecated names, defaults and errors. Nothing is written to
// the file (as MediaMTX); a later reload of the file replaces the edits.

// Errors of configuration edits.
var (
	// ErrPathNotFound: no path of that name is configured.
	ErrPathNotFound = errors.New("path configuration not found")
	// ErrPathExists: add of a path that is configured already.
	ErrPathExists = errors.New("path configuration already exists")
	// ErrNotEditable: the configuration was read in the Media Gateway JSON
	// dialect, which the MediaMTX-shaped edits do not apply to.
	ErrNotEditable = errors.New("the configuration was read from a Media Gateway JSON file; edit the file")
)

// redactionMarkers are what the API (streamgate's and MediaMTX's) shows of
// a secret; sent back in an edit they keep the secret as it is.
var redactionMarkers = []string{Redacted, "<redacted>"}

// source is a configuration's document: the file's mapping (or an edited
// copy) before environment overrides, and the environment.
type source struct {
	name string
	doc  *yaml.Node
	env  []string
}

// GlobalRedacted is GET /v3/config/global/get: every key but paths and
// pathDefaults, secrets redacted (Redacted).
func (c *Conf) GlobalRedacted() map[string]any {
	m := c.Redacted()
	delete(m, "paths")
	delete(m, "pathDefaults")
	return m
}

// PathDefaultsRedacted is GET /v3/config/pathdefaults/get.
func (c *Conf) PathDefaultsRedacted() map[string]any {
	return toPlain(reflect.ValueOf(c.PathDefaults)).(map[string]any)
}

// PathsRedacted are the configured paths by name (sorted), each with its
// "name", as GET /v3/config/paths/list shows them.
func (c *Conf) PathsRedacted() []map[string]any {
	out := make([]map[string]any, 0, len(c.Paths.List))
	for _, np := range c.Paths.List {
		m := toPlain(reflect.ValueOf(np.Path)).(map[string]any)
		m["name"] = np.Name
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["name"].(string), b["name"].(string)) })
	return out
}

// PathRedacted is GET /v3/config/paths/get/{name}: the path configured
// under exactly that name.
func (c *Conf) PathRedacted(name string) (map[string]any, bool) {
	for _, m := range c.PathsRedacted() {
		if m["name"] == name {
			return m, true
		}
	}
	return nil, false
}

// PatchGlobal returns c with the global keys of patch (a JSON object,
// numbers as json.Number) set; paths and pathDefaults have their own edits.
func (c *Conf) PatchGlobal(patch map[string]any) (*Conf, error) {
	return c.edit(envKeys("", patch), func(doc *yaml.Node) error {
		for _, k := range []string{"paths", "pathDefaults"} {
			if _, ok := patch[k]; ok {
				return fmt.Errorf("%s: edit it with /v3/config/%s", k, strings.ToLower(k))
			}
		}
		return merge(doc, patch, "")
	})
}

// PatchPathDefaults returns c with the keys of patch set in pathDefaults.
func (c *Conf) PatchPathDefaults(patch map[string]any) (*Conf, error) {
	return c.edit(envKeys("PATHDEFAULTS_", patch), func(doc *yaml.Node) error {
		return merge(child(doc, "pathDefaults"), patch, "pathDefaults.")
	})
}

// AddPath returns c with the path name configured as patch says.
func (c *Conf) AddPath(name string, patch map[string]any) (*Conf, error) {
	return c.edit(envKeys(pathEnv(name), patch), func(doc *yaml.Node) error {
		paths := child(doc, "paths")
		if _, v := mapGet(paths, name); v != nil {
			return ErrPathExists
		}
		mapSet(paths, name, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		return merge(child(paths, name), patch, "paths."+name+".")
	})
}

// PatchPath returns c with the keys of patch set in the path name.
func (c *Conf) PatchPath(name string, patch map[string]any) (*Conf, error) {
	return c.edit(envKeys(pathEnv(name), patch), func(doc *yaml.Node) error {
		paths := child(doc, "paths")
		if _, v := mapGet(paths, name); v == nil {
			return ErrPathNotFound
		}
		return merge(child(paths, name), patch, "paths."+name+".")
	})
}

// ReplacePath returns c with the path name configured as patch says,
// its other keys back to pathDefaults. Secrets sent back redacted keep the
// path's current values.
func (c *Conf) ReplacePath(name string, patch map[string]any) (*Conf, error) {
	return c.edit([]string{strings.TrimSuffix(pathEnv(name), "_")}, func(doc *yaml.Node) error {
		paths := child(doc, "paths")
		_, old := mapGet(paths, name)
		if old == nil {
			return ErrPathNotFound
		}
		n, err := toNode(patch, old, "paths."+name)
		if err != nil {
			return err
		}
		mapSet(paths, name, n)
		return nil
	})
}

// RemovePath returns c without the path name.
func (c *Conf) RemovePath(name string) (*Conf, error) {
	return c.edit([]string{strings.TrimSuffix(pathEnv(name), "_")}, func(doc *yaml.Node) error {
		paths := child(doc, "paths")
		i, _ := mapGet(paths, name)
		if i < 0 {
			return ErrPathNotFound
		}
		paths.Content = slices.Delete(paths.Content, i, i+2)
		return nil
	})
}

// edit applies fn to a copy of c's document and decodes the result. The
// environment overrides of the keys edited (keys: MTX_/STREAMGATE_ names
// without the prefix; a key covers the keys below it) are dropped: the
// edit wins over them, as in MediaMTX, where the environment is read at
// start only.
func (c *Conf) edit(keys []string, fn func(doc *yaml.Node) error) (*Conf, error) {
	if c.src == nil {
		return nil, ErrNotEditable
	}
	doc := copyTree(c.src.doc)
	if err := fn(doc); err != nil {
		return nil, err
	}
	n, err := decodeConf(c.src.name, doc, Default(), withoutEnv(c.src.env, keys))
	var errs Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			if e.File == c.src.name && e.Line == 0 {
				e.File = "api" // a value the edit brought: it has no line in the file
			}
		}
	}
	return n, err
}

// envKeys are the environment names (without prefix) of the keys of patch
// under prefix.
func envKeys(prefix string, patch map[string]any) []string {
	out := make([]string, 0, len(patch))
	for k := range patch {
		out = append(out, prefix+strings.ToUpper(k))
	}
	return out
}

// pathEnv is the environment prefix of a path's keys (MTX_PATHS_CAM_…).
func pathEnv(name string) string { return "PATHS_" + strings.ToUpper(name) + "_" }

// withoutEnv is env without the MTX_/STREAMGATE_ variables of keys.
func withoutEnv(env, keys []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, prefix := range []string{"MTX_", "STREAMGATE_"} {
			rest, ok := strings.CutPrefix(name, prefix)
			for _, k := range keys {
				if ok && (rest == k || strings.HasPrefix(rest, k+"_")) {
					drop = true
				}
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// merge sets each key of patch in the mapping m; a null removes the key
// (back to its default).
func merge(m *yaml.Node, patch map[string]any, prefix string) error {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if patch[k] == nil {
			if i, _ := mapGet(m, k); i >= 0 {
				m.Content = slices.Delete(m.Content, i, i+2)
			}
			continue
		}
		_, old := mapGet(m, k)
		n, err := toNode(patch[k], old, prefix+k)
		if err != nil {
			return err
		}
		mapSet(m, k, n)
	}
	return nil
}

// child returns the mapping under key in m, making it (or replacing a
// null) when needed.
func child(m *yaml.Node, key string) *yaml.Node {
	if _, v := mapGet(m, key); v != nil {
		if v = resolveAlias(v); v.Kind == yaml.MappingNode {
			// An alias is shared: edit a copy of it under this key.
			v = copyTree(v)
			mapSet(m, key, v)
			return v
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	mapSet(m, key, v)
	return v
}

// mapGet finds key in the mapping m: the index of its key node and its
// value; -1 and nil when absent.
func mapGet(m *yaml.Node, key string) (int, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i, m.Content[i+1]
		}
	}
	return -1, nil
}

func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	if i, _ := mapGet(m, key); i >= 0 {
		m.Content[i+1] = v
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// toNode turns a JSON value into a YAML node. old is the node it replaces
// (nil: none): a secret sent back as the redaction marker, or a URL sent
// back as the API masked it, keeps old's value, and is refused when there
// is no old value to keep.
func toNode(v any, old *yaml.Node, key string) (*yaml.Node, error) {
	if old != nil {
		old = resolveAlias(old)
	}
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch x := v.(type) {
	case nil:
		return scalar("!!null", "null"), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(x)), nil
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return scalar("!!float", x.String()), nil
		}
		return scalar("!!int", x.String()), nil
	case float64:
		return scalar("!!float", strconv.FormatFloat(x, 'g', -1, 64)), nil
	case string:
		if slices.Contains(redactionMarkers, x) {
			if old != nil && old.Kind == yaml.ScalarNode {
				return copyTree(old), nil
			}
			return nil, fmt.Errorf("%s: %q is how the API shows a secret; it cannot be a new value", key, x)
		}
		if old != nil && old.Kind == yaml.ScalarNode && old.Value != x && strings.Contains(x, "://") && redact.URL(old.Value) == x {
			return copyTree(old), nil
		}
		return scalar("!!str", x), nil
	case map[string]any:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			_, o := mapGet(old, k)
			n, err := toNode(x[k], o, key+"."+k)
			if err != nil {
				return nil, err
			}
			mapSet(m, k, n)
		}
		return m, nil
	case []any:
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i, item := range x {
			n, err := toNode(item, oldItem(old, item, i), fmt.Sprintf("%s[%d]", key, i))
			if err != nil {
				return nil, err
			}
			s.Content = append(s.Content, n)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s: unsupported value", key)
}

// oldItem is the item of the list old that item replaces: the one with
// the same "user" (authInternalUsers), else the one at the same index
// when item names no user of its own.
func oldItem(old *yaml.Node, item any, i int) *yaml.Node {
	if old == nil || old.Kind != yaml.SequenceNode {
		return nil
	}
	if m, ok := item.(map[string]any); ok {
		if u, ok := m["user"].(string); ok && !slices.Contains(redactionMarkers, u) {
			for _, o := range old.Content {
				if _, v := mapGet(resolveAlias(o), "user"); v != nil && v.Value == u {
					return o
				}
			}
			return nil
		}
	}
	if i < len(old.Content) {
		return old.Content[i]
	}
	return nil
}

// copyTree copies a node tree; aliases point into the copy.
func copyTree(n *yaml.Node) *yaml.Node {
	seen := map[*yaml.Node]*yaml.Node{}
	var walk func(*yaml.Node) *yaml.Node
	walk = func(n *yaml.Node) *yaml.Node {
		if n == nil {
			return nil
		}
		if c, ok := seen[n]; ok {
			return c
		}
		c := *n
		seen[n] = &c
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, sub := range n.Content {
			c.Content[i] = walk(sub)
		}
		c.Alias = walk(n.Alias)
		return &c
	}
	return walk(n)
}
