package authz

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxLabelRuleDepth bounds the nesting of a label rule so that an untrusted
// record cannot exhaust the stack.
const MaxLabelRuleDepth = 32

// MaxLabelRuleNodes bounds the size of one label rule.
const MaxLabelRuleNodes = 1024

// LabelRule is a compiled Savant Media Gateway routing-label rule
// (seed 001, allowed_routing_labels). The nil rule allows everything.
type LabelRule struct {
	op       labelOp
	label    string
	children []*LabelRule
}

type labelOp uint8

const (
	opSet labelOp = iota + 1
	opUnset
	opAnd
	opOr
	opNot
)

// Allows reports whether labels satisfy the rule. A nil rule allows any labels.
func (r *LabelRule) Allows(labels []string) bool {
	if r == nil {
		return true
	}
	switch r.op {
	case opSet:
		return slices.Contains(labels, r.label)
	case opUnset:
		return !slices.Contains(labels, r.label)
	case opAnd:
		for _, c := range r.children {
			if !c.Allows(labels) {
				return false
			}
		}
		return true
	case opOr:
		for _, c := range r.children {
			if c.Allows(labels) {
				return true
			}
		}
		return false
	case opNot:
		return !r.children[0].Allows(labels)
	}
	return false
}

// String renders the rule in its JSON form.
func (r *LabelRule) String() string {
	b, _ := json.Marshal(r.tree())
	return string(b)
}

// MarshalJSON renders the rule as seed 001 JSON.
func (r *LabelRule) MarshalJSON() ([]byte, error) { return json.Marshal(r.tree()) }

func (r *LabelRule) tree() any {
	if r == nil {
		return nil
	}
	switch r.op {
	case opSet:
		return map[string]any{"set": r.label}
	case opUnset:
		return map[string]any{"unset": r.label}
	case opNot:
		return map[string]any{"not": r.children[0].tree()}
	}
	kids := make([]any, len(r.children))
	for i, c := range r.children {
		kids[i] = c.tree()
	}
	if r.op == opAnd {
		return map[string]any{"and": kids}
	}
	return map[string]any{"or": kids}
}

// ErrLabelRule is wrapped by every label-rule parse error.
var ErrLabelRule = errors.New("invalid label rule")

// ParseLabelRuleJSON parses a rule from JSON. "null" and empty input give the
// nil (allow-all) rule.
func ParseLabelRuleJSON(data []byte) (*LabelRule, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLabelRule, err)
	}
	return ParseLabelRule(v)
}

// ParseLabelRule compiles a rule from a decoded JSON or YAML value
// (map[string]any, []any, string). nil gives the nil (allow-all) rule.
func ParseLabelRule(v any) (*LabelRule, error) {
	if v == nil {
		return nil, nil
	}
	nodes := 0
	return parseRule(v, 0, &nodes)
}

func parseRule(v any, depth int, nodes *int) (*LabelRule, error) {
	if depth >= MaxLabelRuleDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrLabelRule, MaxLabelRuleDepth)
	}
	if *nodes++; *nodes > MaxLabelRuleNodes {
		return nil, fmt.Errorf("%w: more than %d nodes", ErrLabelRule, MaxLabelRuleNodes)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: want an object with one of set, unset, and, or, not; got %s", ErrLabelRule, kindOf(v))
	}
	if len(m) != 1 {
		return nil, fmt.Errorf("%w: an object must have exactly one of set, unset, and, or, not; got %d keys", ErrLabelRule, len(m))
	}
	for k, arg := range m {
		switch k {
		case "set", "unset":
			s, ok := arg.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s wants a string, got %s", ErrLabelRule, k, kindOf(arg))
			}
			op := opSet
			if k == "unset" {
				op = opUnset
			}
			return &LabelRule{op: op, label: s}, nil
		case "and", "or":
			list, ok := arg.([]any)
			if !ok && arg != nil {
				return nil, fmt.Errorf("%w: %s wants a list, got %s", ErrLabelRule, k, kindOf(arg))
			}
			r := &LabelRule{op: opAnd, children: make([]*LabelRule, 0, len(list))}
			if k == "or" {
				r.op = opOr
			}
			for _, item := range list {
				c, err := parseRule(item, depth+1, nodes)
				if err != nil {
					return nil, err
				}
				r.children = append(r.children, c)
			}
			return r, nil
		case "not":
			c, err := parseRule(arg, depth+1, nodes)
			if err != nil {
				return nil, err
			}
			return &LabelRule{op: opNot, children: []*LabelRule{c}}, nil
		default:
			return nil, fmt.Errorf("%w: unknown operator %q (want set, unset, and, or, not)", ErrLabelRule, k)
		}
	}
	panic("unreachable")
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
