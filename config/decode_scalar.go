package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) scalar(n *yaml.Node, key, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, key, "want %s, got %s", want, nodeKind(n))
		return "", false
	}
	return n.Value, true
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) {
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, key, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, key, "yes or no")
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			v.SetBool(true)
		case "no", "false", "off":
			v.SetBool(false)
		default:
			d.errorf(n, key, "want yes or no, got %q", s)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, ok := d.scalar(n, key, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.errorf(n, key, "want a whole number, got %q", s)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		s, ok := d.scalar(n, key, "a whole number ≥ 0")
		if !ok {
			return
		}
		u, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			d.errorf(n, key, "want a whole number from 0 to %d, got %q", uint64(math.MaxUint64>>(64-v.Type().Bits())), s)
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		s, ok := d.scalar(n, key, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.errorf(n, key, "want a number, got %q", s)
			return
		}
		v.SetFloat(f)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, key string) {
	s, ok := d.scalar(n, key, "a duration such as 10s")
	if !ok {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, key, "want a duration such as 10s or 1m30s, got %q", s)
		return
	}
	if dur < 0 {
		d.errorf(n, key, "must not be negative, got %s", s)
		return
	}
	v.SetInt(int64(dur))
}
