package config

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// releaseKeys is one MediaMTX release's shipped keys (testdata/mediamtx-keys,
// written by scripts/mediamtx-keys from the release tag's mediamtx.yml).
type releaseKeys struct {
	tag     string
	global  [][2]string // key, JSON value
	section string      // where path keys live: pathDefaults or paths.NAME
	paths   []string    // the paths the file ships
	path    [][2]string
}

func readReleaseKeys(t *testing.T) []releaseKeys {
	t.Helper()
	files, err := filepath.Glob("testdata/mediamtx-keys/v1.*.txt")
	if err != nil || len(files) < 61 {
		t.Fatalf("key lists: %v, %d files (want every release since v1.0.0)", err, len(files))
	}
	slices.SortFunc(files, func(a, b string) int { return compareVersions(a, b) })
	var out []releaseKeys
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r := releaseKeys{tag: strings.TrimSuffix(filepath.Base(f), ".txt")}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			kind, rest, _ := strings.Cut(sc.Text(), " ")
			key, val, _ := strings.Cut(rest, " ")
			switch kind {
			case "global":
				r.global = append(r.global, [2]string{key, val})
			case "path":
				r.path = append(r.path, [2]string{key, val})
			case "paths":
				r.section = key
				r.paths = strings.Fields(val)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// compareVersions orders ".../v1.X.Y.txt" names by release.
func compareVersions(a, b string) int {
	num := func(s string) (v [3]int) {
		s = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(s), "v"), ".txt")
		for i, part := range strings.SplitN(s, ".", 3) {
			v[i], _ = strconv.Atoi(part)
		}
		return v
	}
	va, vb := num(a), num(b)
	return slices.Compare(va[:], vb[:])
}

// yaml renders the release's keys as a config file: JSON values are YAML.
func (r releaseKeys) yaml() string {
	var b strings.Builder
	for _, kv := range r.global {
		b.WriteString(kv[0] + ": " + kv[1] + "\n")
	}
	indent := "  "
	if name, ok := strings.CutPrefix(r.section, "paths."); ok {
		b.WriteString("paths:\n  " + name + ":\n")
		indent = "    "
	} else {
		b.WriteString(r.section + ":\n")
	}
	for _, kv := range r.path {
		b.WriteString(indent + kv[0] + ": " + kv[1] + "\n")
	}
	if r.section == "pathDefaults" && len(r.paths) > 0 {
		b.WriteString("paths:\n")
		for _, name := range r.paths {
			b.WriteString("  " + name + ":\n")
		}
	}
	return b.String()
}

// TestEveryMediaMTXReleaseKeyLoads: a file holding every key each MediaMTX
// release since v1.0.0 ships, with the shipped values, loads.
func TestEveryMediaMTXReleaseKeyLoads(t *testing.T) {
	for _, r := range readReleaseKeys(t) {
		t.Run(r.tag, func(t *testing.T) {
			if _, err := Parse(r.tag+".yml", []byte(r.yaml()), nil); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}

// TestUnsupportedTable: every entry's defaults parse and count as defaults,
// no key is listed twice, and none is a key streamgate implements or maps
// (remove an entry once its feature lands).
func TestUnsupportedTable(t *testing.T) {
	for typ, list := range unsupportedKeys {
		seen := map[string]bool{}
		for _, u := range list {
			if seen[u.name] {
				t.Errorf("%s.%s listed twice", typ.Name(), u.name)
			}
			seen[u.name] = true
			if _, ok := lookupField(typ, u.name); ok {
				t.Errorf("%s.%s is implemented now: remove it from unsupportedKeys", typ.Name(), u.name)
			}
			if _, ok := lookupDeprecated(typ, u.name); ok {
				t.Errorf("%s.%s is also a deprecated key", typ.Name(), u.name)
			}
			for _, def := range u.defaults {
				var v any
				if err := yaml.Unmarshal([]byte(def), &v); err != nil || !u.holdsDefault(v) {
					t.Errorf("%s.%s: default %s: %v", typ.Name(), u.name, def, err)
				}
			}
		}
	}
	for typ, deps := range deprecatedKeys {
		for old, dep := range deps {
			if _, ok := lookupField(typ, old); ok {
				t.Errorf("%s.%s is a field and a deprecated key", typ.Name(), old)
			}
			if _, ok := lookupField(typ, dep.to); dep.to != "" && !ok {
				t.Errorf("%s.%s maps to %s, no such key", typ.Name(), old, dep.to)
			}
		}
	}
}
