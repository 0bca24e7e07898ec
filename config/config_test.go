package config_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate"
	"github.com/streamgate/streamgate/config"
)

const examplePath = "../mediamtx.yml.example"

func TestExampleParses(t *testing.T) {
	t.Run("Parse embedded", func(t *testing.T) {
		c, err := config.Parse("mediamtx.yml.example", streamgate.DefaultConfig, nil)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if c.RTSPAddress != ":8554" || !c.RTSP || c.AuthRealm != "streamgate" {
			t.Errorf("unexpected values: rtsp=%v rtspAddress=%q authRealm=%q", c.RTSP, c.RTSPAddress, c.AuthRealm)
		}
		if got := len(c.AuthInternalUsers); got != 2 {
			t.Errorf("authInternalUsers: got %d users, want 2", got)
		}
		if np, ok := c.Paths.Find("any/path"); !ok || np.Name != "all_others" {
			t.Errorf("Paths.Find(any/path) = %v, %v; want all_others", np, ok)
		}
	})
	t.Run("Load file", func(t *testing.T) {
		if _, err := config.Load(examplePath, nil); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
	t.Run("embedded equals file", func(t *testing.T) {
		data, err := os.ReadFile(examplePath)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != string(streamgate.DefaultConfig) {
			t.Error("streamgate.DefaultConfig differs from mediamtx.yml.example")
		}
	})
}

// TestDefaultMatchesExample: keys a user's file leaves out take the values the
// example (the embedded default) documents.
func TestDefaultMatchesExample(t *testing.T) {
	c, err := config.Parse("mediamtx.yml.example", streamgate.DefaultConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromExample, fromDefault := plain(t, c), plain(t, config.Default())
	delete(fromExample, "paths") // the example configures all_others; Default has no paths
	delete(fromDefault, "paths")
	for _, k := range slices.Sorted(maps.Keys(fromExample)) {
		if !reflect.DeepEqual(fromExample[k], fromDefault[k]) {
			t.Errorf("%s: example has %v, Default() has %v", k, fromExample[k], fromDefault[k])
		}
	}
}

// plain renders c.Redacted() through JSON so that nil and empty lists compare equal.
func plain(t *testing.T, c *config.Conf) map[string]any {
	t.Helper()
	b, err := json.Marshal(c.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	normalize(m)
	return m
}

func normalize(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if l, ok := e.([]any); ok && len(l) == 0 {
				x[k] = nil
				continue
			}
			normalize(e)
		}
	case []any:
		for _, e := range x {
			normalize(e)
		}
	}
}

// TestExampleDocumentsEveryKey: every yaml key of config.Conf is set in
// mediamtx.yml.example, or — for the items of a list the example leaves
// empty — named in its comments.
func TestExampleDocumentsEveryKey(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(streamgate.DefaultConfig, &root); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	exampleKeys(root.Content[0], "", have)

	var comments strings.Builder
	for _, line := range strings.Split(string(streamgate.DefaultConfig), "\n") {
		if _, c, ok := strings.Cut(line, "#"); ok {
			comments.WriteString(c + "\n")
		}
	}

	want := map[string]bool{}
	modelKeys(reflect.TypeFor[config.Conf](), "", want, map[reflect.Type]bool{})
	for _, sub := range []string{"pathDefaults.savantLabels", "authCache.ttl", "authQuarantine.period", "authEtcd.tls.key",
		"authTokens.secrets[].encoding", "authTokens.verifications[].secretIds", "authInternalUsers[].labels", "savant.fixIPCPermissions"} {
		if !want[sub] {
			t.Fatalf("the walk of config.Conf missed %s (walk is broken)", sub)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if have[k] {
			continue
		}
		list, _, inList := strings.Cut(k, "[]")
		leaf := k[strings.LastIndexAny(k, ".]")+1:]
		if inList && have[list+"=[]"] && regexp.MustCompile(`\b`+leaf+`\b`).MatchString(comments.String()) {
			continue // an empty list whose item keys are described in a comment
		}
		t.Errorf("mediamtx.yml.example does not document %s", k)
	}
}

// exampleKeys collects key paths: "a.b", list items as "a[].b", and
// "a=[]" for a list written empty.
func exampleKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if prefix == "paths" {
				continue // path names are not keys; their settings are pathDefaults'
			}
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out[k] = true
			exampleKeys(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			out[prefix+"=[]"] = true
		}
		for _, item := range n.Content {
			exampleKeys(item, prefix+"[]", out)
		}
	}
}

// modelKeys walks yaml struct tags recursively.
func modelKeys(t reflect.Type, prefix string, out map[string]bool, busy map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice {
		modelKeys(t.Elem(), prefix+"[]", out, busy)
		return
	}
	if t.Kind() != reflect.Struct || busy[t] || t == reflect.TypeFor[time.Duration]() {
		return
	}
	busy[t] = true
	defer delete(busy, t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" && opts == "inline" {
			modelKeys(f.Type, prefix, out, busy)
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		k := name
		if prefix != "" {
			k = prefix + "." + name
		}
		out[k] = true
		modelKeys(f.Type, k, out, busy)
	}
}

// TestPermissionKeys: the permission keys (decoded by hand, no struct tags)
// are in the example too.
func TestPermissionKeys(t *testing.T) {
	for _, k := range []string{"action:", "path:"} {
		if !strings.Contains(string(streamgate.DefaultConfig), k) {
			t.Errorf("example lacks %s", k)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := config.Load(filepath.Join(t.TempDir(), "nope.yml"), nil)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want os.ErrNotExist", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		data := []byte("# " + strings.Repeat("x", config.MaxFileSize) + "\n")
		_, err := config.Parse("big.yml", data, nil)
		if err == nil || !strings.Contains(err.Error(), "big.yml: file is larger") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("empty file is the defaults", func(t *testing.T) {
		c, err := config.Parse("empty.yml", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.RTSPAddress != ":8554" {
			t.Errorf("rtspAddress = %q", c.RTSPAddress)
		}
	})
}
