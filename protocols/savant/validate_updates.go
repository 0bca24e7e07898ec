package savant

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// The checks of batches, updates and user data (rules: validate.go).

func checkBatch(b []byte) error {
	return fields(b, func(f field) error {
		if f.num != 1 {
			return nil
		}
		return message(f, "batch", func(b []byte) error {
			var key int64
			var frame []byte
			err := fields(b, func(f field) error {
				switch f.num {
				case 1:
					key = int64(f.n)
					return scalar(f, kVarint, false, "key")
				case 2:
					if f.typ != protowire.BytesType {
						return under(wrong("not a message"), "value")
					}
					frame = f.val
				}
				return nil
			})
			if err != nil {
				return err
			}
			return under(checkFrame(frame), "["+strconv.FormatInt(key, 10)+"]")
		})
	})
}

func checkUpdate(b []byte) error {
	var seen uint64
	frameAttrs, objectAttrs, objects := 0, 0, 0
	return fields(b, func(f field) error {
		switch f.num {
		case 1:
			i := frameAttrs
			frameAttrs++
			return at(message(f, "", func(b []byte) error { return checkAttribute(b, false) }), "frame_attributes", i)
		case 2:
			i := objectAttrs
			objectAttrs++
			return at(message(f, "", func(b []byte) error {
				return checkWrapped(b, "attribute", func(b []byte) error { return checkAttribute(b, false) })
			}), "object_attributes", i)
		case 3:
			i := objects
			objects++
			return at(message(f, "", func(b []byte) error {
				return checkWrapped(b, "object", func(b []byte) error { _, _, _, err := checkObject(b); return err })
			}), "objects", i)
		case 4, 5, 6:
			name := updateFieldNames[f.num]
			if err := once(&seen, f.num, name); err != nil {
				return err
			}
			return enum(f, 2, name)
		}
		return nil
	})
}

// checkWrapped checks an ObjectAttribute (attribute = field 2) or a
// VideoObjectWithForeignParent (object = field 1): a varint and a message
// that must be set.
func checkWrapped(b []byte, name string, check func([]byte) error) error {
	msgField := protowire.Number(2)
	if name == "object" {
		msgField = 1
	}
	set := false
	var seen uint64
	err := fields(b, func(f field) error {
		if f.num != 1 && f.num != 2 {
			return nil
		}
		if err := once(&seen, f.num, name); err != nil {
			return err
		}
		if f.num == msgField {
			set = true
			return message(f, name, check)
		}
		return scalar(f, kVarint, false, "id")
	})
	if err == nil && !set {
		err = under(wrong("not set"), name)
	}
	return err
}

func checkUserData(b []byte) error {
	attributes := 0
	var seen uint64
	return fields(b, func(f field) error {
		switch f.num {
		case 1:
			return singleScalar(&seen, f, kString, "source_id")
		case 2:
			i := attributes
			attributes++
			return at(message(f, "", func(b []byte) error { return checkAttribute(b, true) }), "attributes", i)
		}
		return nil
	})
}
