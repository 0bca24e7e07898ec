package savant

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The checks of attributes and their values (see validate.go).

// checkAttribute checks an Attribute; with onlyPersistent (objects, user
// data) its values get savant-core's checks only when it is persistent.
func checkAttribute(b []byte, onlyPersistent bool) error {
	if attributeFast(b) {
		return nil
	}
	return checkAttributeFull(b, onlyPersistent)
}

// checkAttributeFull is checkAttribute without the fast path (the
// reference the fast path is tested against).
func checkAttributeFull(b []byte, onlyPersistent bool) error {
	var seen uint64
	values := 0
	persistent := false
	var pending error // what savant-core refuses in a value, should the attribute be persistent
	w := walker{b: b}
	var f field
	for w.next(&f) {
		var err error
		switch f.num {
		case 1, 2, 4:
			name := attributeFieldNames[f.num]
			err = singleScalar(&seen, f, kString, name)
		case 3:
			i := values
			values++
			if f.typ != protowire.BytesType {
				err = at(under(wrong(fmt.Sprintf("wire type %d, want a message", f.typ)), ""), "values", i)
				break
			}
			if err = checkValue(f.val, true); err == nil {
				break
			}
			err = at(err, "values", i)
			if onlyPersistent && isSemantic(err) {
				if pending == nil {
					pending = err
				}
				// Every byte must still decode.
				err = at(checkValue(f.val, false), "values", i)
			}
		case 5, 6:
			name := attributeFieldNames[f.num]
			if err = once(&seen, f.num, name); err != nil {
				break
			}
			if f.num == 5 && f.typ == protowire.VarintType {
				persistent = f.n != 0
			}
			err = scalar(f, kVarint, false, name)
		}
		if err != nil {
			return err
		}
	}
	if w.err != nil {
		return w.err
	}
	if persistent {
		return pending
	}
	return nil
}

var (
	objectFieldNames    = [11]string{1: "id", 2: "parent_id", 3: "namespace", 4: "label", 5: "draw_label", 6: "detection_box", 8: "confidence", 9: "track_box", 10: "track_id"}
	attributeFieldNames = [7]string{1: "namespace", 2: "name", 4: "hint", 5: "is_persistent", 6: "is_hidden"}
	updateFieldNames    = [7]string{4: "frame_attribute_policy", 5: "object_attribute_policy", 6: "object_policy"}
)

var valueNames = [20]string{2: "bytes", 3: "string", 4: "string_vector", 5: "integer", 6: "integer_vector", 7: "float",
	8: "float_vector", 9: "boolean", 10: "boolean_vector", 11: "bounding_box", 12: "bounding_box_vector", 13: "point",
	14: "point_vector", 15: "polygon", 16: "polygon_vector", 17: "intersection", 18: "none", 19: "temporary"}

// checkValue checks an AttributeValue; semantic adds savant-core's checks
// to the decoding ones.
func checkValue(b []byte, semantic bool) error {
	set := false
	w := walker{b: b}
	var f field
	var err error
	for err == nil && w.next(&f) {
		if f.num == 1 {
			err = scalar(f, kFixed32, false, "confidence")
			continue
		}
		if f.num < 2 || f.num > 19 {
			continue
		}
		name := valueNames[f.num]
		if set {
			return under(wrong("given twice"), "value")
		}
		set = true
		if f.typ != protowire.BytesType {
			return under(wrong(fmt.Sprintf("wire type %d, want a message", f.typ)), name)
		}
		err = under(checkVariant(f.num, f.val, semantic), name)
	}
	if err == nil {
		err = w.err
	}
	if err == nil && !set && semantic {
		err = under(unmet("not set"), "value")
	}
	return err
}

func checkVariant(num protowire.Number, b []byte, semantic bool) error {
	switch num {
	case 2:
		return simple(b, bytesValue, true)
	case 3, 4:
		return simple(b, oneString, num == 4)
	case 5, 6, 9, 10:
		return simple(b, oneVarint, num == 6 || num == 10)
	case 7, 8:
		return simple(b, oneFixed64, num == 8)
	case 11, 13, 15, 17:
		set := false
		var seen uint64
		err := fields(b, func(f field) error {
			if f.num != 1 {
				return nil
			}
			if err := once(&seen, f.num, "data"); err != nil {
				return err
			}
			set = true
			return message(f, "data", func(b []byte) error { return checkShape(num, b, semantic) })
		})
		if err == nil && !set && semantic {
			err = under(unmet("not set"), "data")
		}
		return err
	case 12, 14, 16:
		i := 0
		return fields(b, func(f field) error {
			if f.num != 1 {
				return nil
			}
			j := i
			i++
			return at(message(f, "", func(b []byte) error { return checkShape(num-1, b, semantic) }), "data", j)
		})
	}
	return nil // none, temporary
}

// checkShape checks the data of a bounding box (11), point (13), polygon
// (15) or intersection (17) value.
func checkShape(num protowire.Number, b []byte, semantic bool) error {
	switch num {
	case 11:
		return simple(b, boundingBox, false)
	case 13:
		return simple(b, point, false)
	case 15:
		return checkPolygon(b, semantic)
	}
	var seen uint64
	return fields(b, func(f field) error {
		switch f.num {
		case 1:
			if err := once(&seen, f.num, "kind"); err != nil {
				return err
			}
			if !semantic {
				return scalar(f, kVarint, false, "kind")
			}
			return enum(f, 4, "kind")
		case 2:
			return message(f, "edges", func(b []byte) error { return simple(b, varintString, false) })
		}
		return nil
	})
}

func checkPolygon(b []byte, semantic bool) error {
	points, tags := 0, -1
	var seen uint64
	err := fields(b, func(f field) error {
		switch f.num {
		case 1:
			points++
			return message(f, "points", func(b []byte) error { return simple(b, point, false) })
		case 2:
			if err := once(&seen, f.num, "tags"); err != nil {
				return err
			}
			tags = 0
			return message(f, "tags", func(b []byte) error {
				return fields(b, func(f field) error {
					if f.num != 1 {
						return nil
					}
					tags++
					return message(f, "tags", func(b []byte) error { return simple(b, oneString, false) })
				})
			})
		}
		return nil
	})
	if err == nil && semantic && tags >= 0 && tags != points {
		err = under(unmet(fmt.Sprintf("%d tags for %d points", tags, points)), "tags")
	}
	return err
}
