package instancename

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for name, want := range map[string]bool{
		"a":                      true,
		"node-1.example_2":       true,
		strings.Repeat("a", 253): true,
		"":                       false,
		strings.Repeat("a", 254): false,
		"a:b":                    false,
		"a/b":                    false,
		"é":                      false,
	} {
		if got := Valid(name); got != want {
			t.Errorf("Valid(%q) = %v, want %v", name, got, want)
		}
	}
}
