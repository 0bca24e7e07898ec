package config

import (
	"reflect"
	"time"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/internal/redact"
)

// Redacted is what the API shows of a secret that is set.
const Redacted = "[redacted]"

// Redacted returns the configuration as plain values keyed by the YAML
// names, for GET /v3/config/get, with every password, passphrase and
// secret replaced by "[redacted]" (or "" when unset), and the credentials
// inside every URL (authHTTPAddress, authJWTJWKS, etcd endpoints, sources:
// user info, query values) masked.
func (c *Conf) Redacted() map[string]any {
	return toPlain(reflect.ValueOf(c).Elem()).(map[string]any)
}

func toPlain(v reflect.Value) any {
	switch x := v.Interface().(type) {
	case Password:
		return redactedIf(x.IsSet())
	case Secret:
		return redactedIf(x != "")
	case Credential:
		if x.Secret.Kind != hash.KindPlain {
			return Redacted // a hashed name is shown as little as a hashed password
		}
		return x.Raw
	case time.Duration:
		return x.String()
	case Permission:
		return map[string]any{"action": x.RawAction, "path": x.RawPath}
	case Network:
		return x.Prefix.String()
	case LabelRule:
		if x.Rule == nil {
			return nil
		}
		return x.Rule
	case Paths:
		m := map[string]any{}
		for _, np := range x.List {
			m[np.Name] = toPlain(reflect.ValueOf(np.Path))
		}
		return m
	}
	switch v.Kind() {
	case reflect.String:
		return redact.URL(v.String())
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return toPlain(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		for _, f := range fieldsOf(v.Type()) {
			m[f.name] = toPlain(v.FieldByIndex(f.index))
		}
		return m
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toPlain(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

func redactedIf(set bool) string {
	if set {
		return Redacted
	}
	return ""
}
