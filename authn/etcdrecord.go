package authn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// MaxEtcdRecordSize bounds one user record.
const MaxEtcdRecordSize = 64 << 10

// EtcdRecord is a compiled etcd user record (seed 001 schema):
// {"password_hash": PHC, "allowed_routing_labels": RULE}, plus streamgate's
// optional "permissions": [{action, path}] overriding the configured default.
type EtcdRecord struct {
	Hash        *hash.Argon2
	Labels      *authz.LabelRule
	Permissions authz.Permissions // nil: the configured default
}

// ParseEtcdRecord parses a record in "json" or "yaml". Unknown keys, a bad
// PHC string, out-of-bounds argon2 parameters or a bad rule are errors.
func ParseEtcdRecord(data []byte, format string) (*EtcdRecord, error) {
	if len(data) > MaxEtcdRecordSize {
		return nil, fmt.Errorf("record is %d bytes, the limit is %d", len(data), MaxEtcdRecordSize)
	}
	var raw map[string]any
	switch format {
	case "yaml":
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("yaml: %w", err)
		}
		raw = normalizeYAML(raw, 0).(map[string]any)
	default:
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		if dec.More() {
			return nil, errors.New("json: data after the record")
		}
	}
	if raw == nil {
		return nil, errors.New("record is empty")
	}
	rec := &EtcdRecord{}
	for k, v := range raw {
		switch k {
		case "password_hash":
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("password_hash: want a PHC string")
			}
			h, err := hash.ParsePHC(s)
			if err != nil {
				return nil, fmt.Errorf("password_hash: %w", err)
			}
			rec.Hash = h
		case "allowed_routing_labels":
			r, err := authz.ParseLabelRule(v)
			if err != nil {
				return nil, fmt.Errorf("allowed_routing_labels: %w", err)
			}
			rec.Labels = r
		case "permissions":
			ps, err := parsePermissions(v)
			if err != nil {
				return nil, fmt.Errorf("permissions: %w", err)
			}
			rec.Permissions = ps
		default:
			return nil, fmt.Errorf("unknown key %q", k)
		}
	}
	if rec.Hash == nil {
		return nil, errors.New("password_hash: missing")
	}
	return rec, nil
}

func parsePermissions(v any) (authz.Permissions, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of {action, path}")
	}
	ps := authz.Permissions{}
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[%d]: want {action, path}", i)
		}
		action, _ := m["action"].(string)
		path, _ := m["path"].(string)
		if len(m) > 2 || (len(m) == 2 && m["path"] == nil) {
			return nil, fmt.Errorf("[%d]: only action and path are allowed", i)
		}
		p, err := authz.CompilePermission(action, path)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// normalizeYAML turns yaml.v3's map[string]interface{} trees into the shape
// encoding/json produces (it already uses map[string]any for string keys).
func normalizeYAML(v any, depth int) any {
	if depth > 64 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = normalizeYAML(c, depth+1)
		}
		return x
	case []any:
		for i, c := range x {
			x[i] = normalizeYAML(c, depth+1)
		}
		return x
	}
	return v
}
