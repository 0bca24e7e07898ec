package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// nodeDecoder is implemented by config types that read themselves from a
// YAML node (a string-or-list, a label rule, a size with units).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, key string)
}

// decoder turns a yaml.Node tree into config structs strictly: unknown keys,
// duplicate keys and values of the wrong type are errors that name the file,
// line and key path. It collects every problem instead of stopping at the first.
type decoder struct {
	file  string
	env   map[*yaml.Node]string // nodes made from environment overrides → variable name
	lines map[string]*yaml.Node // key path → the node that set it, for later validation errors
	alias map[string]string     // model key → the key the file used (Media Gateway dialect)
	errs  Errors
	envs  *envState // environment overrides (env.go)

	aliasWork int                // values reached through aliases so far
	expanding int                // > 0 while decoding what an alias stands for
	sizes     map[*yaml.Node]int // memo for aliasSize

	unsupported []pendingUnsupported // gated unsupported keys, checked at the end
	topDefault  map[string]bool      // top-level unsupported key → holds its default
	dropped     int                  // problems past maxErrors
}

// errAt reports a problem with an already decoded key, at the line that set
// it (or the nearest enclosing key the file wrote).
func (d *decoder) errAt(key, format string, args ...any) {
	for k := key; ; {
		if n, ok := d.lines[k]; ok {
			d.errorf(n, key, format, args...)
			return
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			d.errorf(nil, key, format, args...)
			return
		}
		k = k[:i]
	}
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		d.dropped++
		return
	}
	key = d.fileKey(key)
	e := &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if name, ok := d.env[n]; ok {
		e.File = "env " + name
	} else if n != nil {
		e.Line = n.Line
	}
	d.errs = append(d.errs, e)
}

// fileKey names key as the file wrote it: a deprecated key read into its
// replacement (rtspTransports[0] → protocols[0]) keeps its own name.
func (d *decoder) fileKey(key string) string {
	if a, ok := d.alias[key]; ok {
		return a
	}
	for model, file := range d.alias {
		if rest, ok := strings.CutPrefix(key, model); ok && (strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, ".")) {
			return file + rest
		}
	}
	return key
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	decoderType  = reflect.TypeFor[nodeDecoder]()
)

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// decode stores n into v (settable), overlaying what v already holds, so that
// defaults set before decoding survive keys the file does not mention.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if n != nil && n.Kind == yaml.AliasNode {
		if !d.chargeAlias(n, key) {
			return
		}
		d.expanding++
		defer func() { d.expanding-- }()
	}
	n = resolveAlias(n)
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if v.CanAddr() && v.Addr().Type().Implements(decoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, key)
		return
	}
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key)
		return
	}
	if isNull(n) {
		if v.Kind() == reflect.Slice {
			v.Set(reflect.Zero(v.Type()))
		}
		// A key with no value keeps its default ("pass:" in MediaMTX files).
		return
	}
	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, key)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, key)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, key)
	case v.Kind() == reflect.Interface:
		if val, ok := d.generic(n, key); ok {
			v.Set(reflect.ValueOf(val))
		}
	default:
		d.decodeScalar(n, v, key)
	}
}
