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

// scalarAs decodes n as a scalar converted by parse. A node that is not a
// scalar is reported as not want; what parse refuses is reported with
// parse's error, which says what was wanted and what was got.
func scalarAs[T any](d *decoder, n *yaml.Node, key, want string, parse func(s string) (T, error)) (T, bool) {
	var zero T
	s, ok := d.scalar(n, key, want)
	if !ok {
		return zero, false
	}
	v, err := parse(s)
	if err != nil {
		d.errorf(n, key, "%v", err)
		return zero, false
	}
	return v, true
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) {
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, key, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if b, ok := scalarAs(d, n, key, "yes or no", parseBool); ok {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		bits := v.Type().Bits()
		i, ok := scalarAs(d, n, key, "a whole number", func(s string) (int64, error) {
			i, err := strconv.ParseInt(s, 0, bits)
			if err != nil {
				return 0, fmt.Errorf("want a whole number, got %q", s)
			}
			return i, nil
		})
		if ok {
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		bits := v.Type().Bits()
		u, ok := scalarAs(d, n, key, "a whole number ≥ 0", func(s string) (uint64, error) {
			u, err := strconv.ParseUint(s, 0, bits)
			if err != nil {
				return 0, fmt.Errorf("want a whole number from 0 to %d, got %q", uint64(math.MaxUint64>>(64-bits)), s)
			}
			return u, nil
		})
		if ok {
			v.SetUint(u)
		}
	case reflect.Float64:
		f, ok := scalarAs(d, n, key, "a number", func(s string) (float64, error) {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("want a number, got %q", s)
			}
			return f, nil
		})
		if ok {
			v.SetFloat(f)
		}
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// parseBool reads MediaMTX's booleans: yes/no, true/false, on/off.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "true", "on":
		return true, nil
	case "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("want yes or no, got %q", s)
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, key string) {
	dur, ok := scalarAs(d, n, key, "a duration such as 10s", func(s string) (time.Duration, error) {
		dur, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 10s or 1m30s, got %q", s)
		}
		if dur < 0 {
			return 0, fmt.Errorf("must not be negative, got %s", s)
		}
		return dur, nil
	})
	if ok {
		v.SetInt(int64(dur))
	}
}
