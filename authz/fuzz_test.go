package authz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authz"
)

// FuzzParseLabelRuleJSON: no input panics or escapes the bounds; a parsed
// rule renders to JSON that parses back to the same rule.
func FuzzParseLabelRuleJSON(f *testing.F) {
	for _, s := range []string{
		`{"set":"label"}`,
		`{"unset":"a"}`,
		`{"and":[{"set":"a"},{"or":[{"set":"b"},{"not":{"unset":"c"}}]}]}`,
		`{"or":[]}`,
		`{"and":null}`,
		`{"not":{"not":{"set":""}}}`,
		`null`,
		`{"set":"a","unset":"b"}`,
		strings.Repeat(`{"not":`, 40) + `{"set":"a"}` + strings.Repeat("}", 40),
	} {
		f.Add([]byte(s))
	}
	labelSets := [][]string{nil, {""}, {"a"}, {"b"}, {"a", "b"}, {"c"}, {"label"}, {"a", "b", "c", "label"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := authz.ParseLabelRuleJSON(data)
		if err != nil {
			if r != nil || !errors.Is(err, authz.ErrLabelRule) {
				t.Fatalf("rule %v with error %v (want nil and ErrLabelRule)", r, err)
			}
			return
		}
		for _, ls := range labelSets {
			r.Allows(ls)
		}
		if r == nil {
			return
		}
		s := r.String()
		again, err := authz.ParseLabelRuleJSON([]byte(s))
		if err != nil {
			t.Fatalf("String() %s does not parse: %v", s, err)
		}
		if again.String() != s {
			t.Fatalf("round trip changed the rule: %s → %s", s, again)
		}
		for _, ls := range labelSets {
			if r.Allows(ls) != again.Allows(ls) {
				t.Fatalf("%s and its round trip disagree on %q", s, ls)
			}
		}
		if b, err := r.MarshalJSON(); err != nil || string(b) != s {
			t.Fatalf("MarshalJSON = %s, %v; String = %s", b, err, s)
		}
	})
}
