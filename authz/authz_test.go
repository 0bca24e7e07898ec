package authz_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/authz"
)

func TestLabelRules(t *testing.T) {
	tests := []struct {
		name   string
		rule   string // JSON; "" = no rule
		allow  [][]string
		refuse [][]string
	}{
		{name: "absent allows all", rule: "", allow: [][]string{nil, {"x"}}},
		{name: "null allows all", rule: "null", allow: [][]string{nil, {"x"}}},
		{name: "set", rule: `{"set":"cam"}`, allow: [][]string{{"cam"}, {"a", "cam"}}, refuse: [][]string{nil, {"camera"}, {"Cam"}}},
		{name: "unset", rule: `{"unset":"private"}`, allow: [][]string{nil, {"cam"}, {"privately"}}, refuse: [][]string{{"private"}, {"a", "private"}}},
		{name: "and", rule: `{"and":[{"set":"a"},{"set":"b"}]}`, allow: [][]string{{"a", "b"}, {"b", "c", "a"}}, refuse: [][]string{{"a"}, {"b"}, nil}},
		{name: "or", rule: `{"or":[{"set":"a"},{"set":"b"}]}`, allow: [][]string{{"a"}, {"b"}, {"a", "b"}}, refuse: [][]string{nil, {"c"}}},
		{name: "not", rule: `{"not":{"set":"a"}}`, allow: [][]string{nil, {"b"}}, refuse: [][]string{{"a"}}},
		{name: "not of not", rule: `{"not":{"not":{"set":"a"}}}`, allow: [][]string{{"a"}}, refuse: [][]string{nil, {"b"}}},
		{name: "empty and is true", rule: `{"and":[]}`, allow: [][]string{nil, {"x"}}},
		{name: "empty or is false", rule: `{"or":[]}`, refuse: [][]string{nil, {"x"}}},
		{name: "null and is true", rule: `{"and":null}`, allow: [][]string{nil}},
		{name: "null or is false", rule: `{"or":null}`, refuse: [][]string{nil}},
		{name: "not of empty or", rule: `{"not":{"or":[]}}`, allow: [][]string{nil, {"x"}}},
		{
			name:   "nested",
			rule:   `{"and":[{"or":[{"set":"cam"},{"set":"mic"}]},{"not":{"set":"private"}},{"unset":"banned"}]}`,
			allow:  [][]string{{"cam"}, {"mic", "public"}},
			refuse: [][]string{nil, {"cam", "private"}, {"mic", "banned"}, {"other"}},
		},
		{
			name:   "deep nesting within bounds",
			rule:   strings.Repeat(`{"not":`, 30) + `{"set":"a"}` + strings.Repeat("}", 30),
			allow:  [][]string{{"a"}},
			refuse: [][]string{{"b"}},
		},
		{name: "empty label", rule: `{"set":""}`, allow: [][]string{{""}}, refuse: [][]string{{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := authz.ParseLabelRuleJSON([]byte(tt.rule))
			if err != nil {
				t.Fatal(err)
			}
			wantEach(t, tt.rule, r.Allows, tt.allow, tt.refuse)
			if r == nil {
				return
			}
			// String / MarshalJSON render seed 001 JSON that parses back to the same rule.
			again, err := authz.ParseLabelRuleJSON([]byte(r.String()))
			if err != nil || again.String() != r.String() {
				t.Errorf("round trip: %s → %v, %v", r, again, err)
			}
			b, err := json.Marshal(r)
			if err != nil || string(b) != r.String() {
				t.Errorf("MarshalJSON = %s, %v; String = %s", b, err, r)
			}
		})
	}
}

// TestLabelRuleShapes: ParseLabelRule takes what encoding/json and YAML
// decoders produce (map[string]any, []any, string).
func TestLabelRuleShapes(t *testing.T) {
	fromYAML := func(s string) any {
		var v any
		if err := yaml.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name   string
		in     any
		allow  []string
		refuse []string
	}{
		{name: "go map", in: map[string]any{"set": "a"}, allow: []string{"a"}, refuse: []string{"b"}},
		{name: "go nested", in: map[string]any{"and": []any{map[string]any{"set": "a"}, map[string]any{"not": map[string]any{"set": "b"}}}}, allow: []string{"a"}, refuse: []string{"a", "b"}},
		{name: "YAML flow", in: fromYAML("{or: [{set: a}, {set: b}]}"), allow: []string{"b"}, refuse: []string{"c"}},
		{name: "YAML block", in: fromYAML("and:\n- set: a\n- not:\n    set: b\n"), allow: []string{"a"}, refuse: []string{"b", "a"}},
		{name: "YAML empty and", in: fromYAML("and: []"), allow: []string{}},
		{name: "YAML and with no value", in: fromYAML("and:"), allow: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := authz.ParseLabelRule(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.allow != nil && !r.Allows(tt.allow) {
				t.Errorf("%s refuses %q", r, tt.allow)
			}
			if tt.refuse != nil && r.Allows(tt.refuse) {
				t.Errorf("%s allows %q", r, tt.refuse)
			}
		})
	}
	if r, err := authz.ParseLabelRule(nil); r != nil || err != nil {
		t.Errorf("ParseLabelRule(nil) = %v, %v; want the nil rule", r, err)
	}
	if r, err := authz.ParseLabelRuleJSON([]byte("  \n")); r != nil || err != nil {
		t.Errorf("ParseLabelRuleJSON(blank) = %v, %v; want the nil rule", r, err)
	}
}

func TestLabelRuleErrors(t *testing.T) {
	wide := `{"or":[` + strings.TrimSuffix(strings.Repeat(`{"set":"a"},`, authz.MaxLabelRuleNodes), ",") + `]}`
	tests := []struct {
		name string
		rule string
		want string
	}{
		{name: "two keys", rule: `{"set":"a","unset":"b"}`, want: "exactly one of set, unset, and, or, not; got 2 keys"},
		{name: "no keys", rule: `{}`, want: "got 0 keys"},
		{name: "unknown op", rule: `{"xor":[]}`, want: `unknown operator "xor"`},
		{name: "unknown op nested", rule: `{"and":[{"set":"a"},{"nand":[]}]}`, want: `unknown operator "nand"`},
		{name: "op case matters", rule: `{"Set":"a"}`, want: `unknown operator "Set"`},
		{name: "set with a list", rule: `{"set":["a"]}`, want: "set wants a string, got a list"},
		{name: "unset with a number", rule: `{"unset":1}`, want: "unset wants a string, got a number"},
		{name: "set with null", rule: `{"set":null}`, want: "set wants a string, got null"},
		{name: "and with an object", rule: `{"and":{"set":"a"}}`, want: "and wants a list, got an object"},
		{name: "or with a string", rule: `{"or":"a"}`, want: "or wants a list, got a string"},
		{name: "not with a list", rule: `{"not":[{"set":"a"}]}`, want: "got a list"},
		{name: "not with null", rule: `{"not":null}`, want: "got null"},
		{name: "top-level list", rule: `[{"set":"a"}]`, want: "want an object"},
		{name: "top-level string", rule: `"a"`, want: "want an object"},
		{name: "top-level bool", rule: `true`, want: "got a boolean"},
		{name: "list item string", rule: `{"or":["a"]}`, want: "got a string"},
		{name: "depth over 32", rule: strings.Repeat(`{"not":`, 32) + `{"set":"a"}` + strings.Repeat("}", 32), want: "nested deeper than 32"},
		{name: "depth over 32 through and", rule: strings.Repeat(`{"and":[`, 40) + `{"set":"a"}` + strings.Repeat("]}", 40), want: "nested deeper than 32"},
		{name: "too many nodes", rule: wide, want: "more than 1024 nodes"},
		{name: "bad JSON", rule: `{"set":`, want: "invalid label rule"},
		{name: "trailing garbage", rule: `{"set":"a"} x`, want: "invalid label rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := authz.ParseLabelRuleJSON([]byte(tt.rule))
			if err == nil {
				t.Fatalf("no error; rule %s", r)
			}
			if r != nil {
				t.Errorf("a rule came back with the error")
			}
			if !errors.Is(err, authz.ErrLabelRule) {
				t.Errorf("error %v does not wrap ErrLabelRule", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
	// The deepest accepted rule is just inside the bound.
	ok := strings.Repeat(`{"not":`, authz.MaxLabelRuleDepth-1) + `{"set":"a"}` + strings.Repeat("}", authz.MaxLabelRuleDepth-1)
	if _, err := authz.ParseLabelRuleJSON([]byte(ok)); err != nil {
		t.Errorf("depth %d: %v", authz.MaxLabelRuleDepth, err)
	}
	most := `{"or":[` + strings.TrimSuffix(strings.Repeat(`{"set":"a"},`, authz.MaxLabelRuleNodes-1), ",") + `]}`
	if _, err := authz.ParseLabelRuleJSON([]byte(most)); err != nil {
		t.Errorf("%d nodes: %v", authz.MaxLabelRuleNodes, err)
	}
}

func TestPathMatcher(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		nomatch []string
		regexp  bool
	}{
		{pattern: "", match: []string{"", "cam", "a/b/c"}},
		{pattern: "cam", match: []string{"cam"}, nomatch: []string{"cam2", "notacamera", "Cam", "cam/", "/cam", ""}},
		{pattern: "~cam", match: []string{"cam"}, nomatch: []string{"notacamera", "cam2", "camera", "xcam", ""}, regexp: true},
		{pattern: "~^cam.*", match: []string{"camera", "cam", "cam/1"}, nomatch: []string{"mycam", "notacamera"}, regexp: true},
		{pattern: "~^cam.*$", match: []string{"camera"}, nomatch: []string{"xcamera"}, regexp: true},
		{pattern: "~cam|mic", match: []string{"cam", "mic"}, nomatch: []string{"camic", "cammic", "micx", "xcam"}, regexp: true},
		{pattern: "~cam[0-9]+", match: []string{"cam1", "cam42"}, nomatch: []string{"cam", "cam1a", "acam1"}, regexp: true},
		{pattern: "~.*", match: []string{"", "anything/at/all"}, regexp: true},
		{pattern: "~(?i)cam", match: []string{"CAM", "cam"}, nomatch: []string{"camx"}, regexp: true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			m, err := authz.CompilePath(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if m.IsRegexp() != tt.regexp {
				t.Errorf("IsRegexp = %v", m.IsRegexp())
			}
			if m.String() != tt.pattern {
				t.Errorf("String = %q", m.String())
			}
			wantEach(t, strconv.Quote(tt.pattern), m.Match, tt.match, tt.nomatch)
		})
	}
	for _, bad := range []string{"~cam(", "~[z-a]", "~a**", "~(?P<x"} {
		if _, err := authz.CompilePath(bad); err == nil || !strings.Contains(err.Error(), "invalid regular expression") {
			t.Errorf("CompilePath(%q) error = %v", bad, err)
		}
	}
}

func TestPermissions(t *testing.T) {
	var ps authz.Permissions
	for _, p := range [][2]string{{"publish", "~^cam[0-9]$"}, {"read", ""}, {"api", "v3"}} {
		perm, err := authz.CompilePermission(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, perm)
	}
	tests := []struct {
		action authz.Action
		path   string
		want   bool
	}{
		{authz.ActionPublish, "cam1", true},
		{authz.ActionPublish, "cam10", false},
		{authz.ActionPublish, "xcam1", false},
		{authz.ActionRead, "anything", true},
		{authz.ActionRead, "", true},
		{authz.ActionPlayback, "cam1", false},
		{authz.ActionAPI, "v3", true},
		{authz.ActionAPI, "v2", false},
		{authz.ActionGateway, "", false},
	}
	for _, tt := range tests {
		if got := ps.Allows(tt.action, tt.path); got != tt.want {
			t.Errorf("Allows(%s, %q) = %v, want %v", tt.action, tt.path, got, tt.want)
		}
	}
	if (authz.Permissions{}).Allows(authz.ActionRead, "x") {
		t.Error("no permissions allow something")
	}
	for _, a := range authz.Actions {
		if got, err := authz.ParseAction(string(a)); err != nil || got != a {
			t.Errorf("ParseAction(%q) = %q, %v", a, got, err)
		}
	}
	for _, bad := range []string{"", "Publish", "write", "publish "} {
		if _, err := authz.ParseAction(bad); err == nil || !strings.Contains(err.Error(), "unknown action") {
			t.Errorf("ParseAction(%q) error = %v", bad, err)
		}
		if _, err := authz.CompilePermission(bad, ""); err == nil {
			t.Errorf("CompilePermission(%q) accepted", bad)
		}
	}
	if _, err := authz.CompilePermission("read", "~("); err == nil {
		t.Error("CompilePermission accepted a bad regex")
	}
}

func TestNetworks(t *testing.T) {
	parse := func(ss ...string) authz.Networks {
		var ns authz.Networks
		for _, s := range ss {
			p, err := authz.ParseNetwork(s)
			if err != nil {
				t.Fatalf("ParseNetwork(%q): %v", s, err)
			}
			ns = append(ns, p)
		}
		return ns
	}
	tests := []struct {
		name    string
		nets    authz.Networks
		allow   []string
		refuse  []string
		strings []string // the parsed prefixes
	}{
		{name: "empty allows all", nets: nil, allow: []string{"1.2.3.4", "::1", "::ffff:10.0.0.1"}},
		{name: "CIDR", nets: parse("10.0.0.0/8"), allow: []string{"10.0.0.1", "10.255.255.255"}, refuse: []string{"11.0.0.1", "::1"}, strings: []string{"10.0.0.0/8"}},
		{name: "CIDR is masked", nets: parse("192.168.1.77/24"), allow: []string{"192.168.1.1"}, refuse: []string{"192.168.2.1"}, strings: []string{"192.168.1.0/24"}},
		{name: "single IPv4", nets: parse("127.0.0.1"), allow: []string{"127.0.0.1"}, refuse: []string{"127.0.0.2", "::1"}, strings: []string{"127.0.0.1/32"}},
		{name: "single IPv6", nets: parse("::1"), allow: []string{"::1"}, refuse: []string{"::2", "127.0.0.1"}, strings: []string{"::1/128"}},
		{name: "IPv6 CIDR", nets: parse("2001:db8::/32"), allow: []string{"2001:db8::1", "2001:db8:ffff::1"}, refuse: []string{"2001:db9::1"}},
		{name: "IPv4-mapped IPv6 client", nets: parse("10.0.0.0/8", "127.0.0.1"), allow: []string{"::ffff:10.1.2.3", "::ffff:127.0.0.1"}, refuse: []string{"::ffff:11.1.2.3", "::ffff:127.0.0.2"}},
		{name: "IPv4-mapped IPv6 in the list", nets: parse("::ffff:10.0.0.0/104", "::ffff:127.0.0.1"), allow: []string{"10.1.2.3", "::ffff:10.1.2.3", "127.0.0.1"}, refuse: []string{"11.0.0.1", "127.0.0.2"}, strings: []string{"10.0.0.0/8", "127.0.0.1/32"}},
		{name: "zone dropped", nets: parse("fe80::1%eth0"), allow: []string{"fe80::1"}, refuse: []string{"fe80::2"}, strings: []string{"fe80::1/128"}},
		{name: "mixed list", nets: parse("127.0.0.1", "::1"), allow: []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"}, refuse: []string{"10.0.0.1", "fe80::1"}},
		{name: "zero prefix", nets: parse("0.0.0.0/0"), allow: []string{"8.8.8.8"}, refuse: []string{"::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.allow {
				if !tt.nets.Contains(netip.MustParseAddr(s)) {
					t.Errorf("%v refuses %s", tt.nets, s)
				}
			}
			for _, s := range tt.refuse {
				if tt.nets.Contains(netip.MustParseAddr(s)) {
					t.Errorf("%v allows %s", tt.nets, s)
				}
			}
			for i, s := range tt.strings {
				if tt.nets[i].String() != s {
					t.Errorf("prefix %d = %s, want %s", i, tt.nets[i], s)
				}
			}
		})
	}
	if (authz.Networks{}).Contains(netip.Addr{}) != true {
		t.Error("an empty list refuses an invalid address")
	}
	if parse("127.0.0.1").Contains(netip.Addr{}) {
		t.Error("a list allows an invalid address")
	}
	for _, bad := range []string{"", "localhost", "10.0.0.0/33", "10.0.0.1/", "::1/129", "1.2.3", "10.0.0.0/8/8", "1.2.3.4%eth0/32"} {
		if _, err := authz.ParseNetwork(bad); err == nil {
			t.Errorf("ParseNetwork(%q) accepted", bad)
		}
	}
}

// wantEach fails t for each of yes that f refuses and each of no that f
// accepts (what names f in the message).
func wantEach[T any](t *testing.T, what string, f func(T) bool, yes, no []T) {
	t.Helper()
	for _, x := range yes {
		if !f(x) {
			t.Errorf("%s refuses %q", what, any(x))
		}
	}
	for _, x := range no {
		if f(x) {
			t.Errorf("%s accepts %q", what, any(x))
		}
	}
}
