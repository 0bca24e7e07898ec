package savant

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The message check below reads the protobuf wire format directly, without
// building Go structs: a gateway message with 20 objects of 10 attributes
// each is checked without allocating (decoding it into pb structs took
// 3 000 allocations). The schema is pb/savant.proto (savant-rs 1.15).
//
// It refuses what savant-core refuses, as prost decoding and then
// Message::try_from (savant-rs 1.15): a malformed encoding, a string that is
// not UTF-8, a field with the wrong wire type, a content that is not set; a
// VideoFrame whose uuid or previous_keyframe is not a UUID, without content,
// with an unknown transcoding_method, a transformation with nothing set, an
// object without detection_box or whose parent_id names no object of the
// frame; an attribute value with nothing set (or a bounding box, point,
// polygon or intersection value without data, polygon tags that do not name
// every point, an unknown intersection kind); an update with an unknown
// policy, an object attribute or an object that is not set. Like
// savant-core, the attributes of objects and of user data get these checks
// only when persistent (it drops the others unconverted); every attribute
// must still decode. A singular field given twice is refused: protobuf would
// merge the two, and no encoder writes that.

// wireError says which field is wrong; the path is built on the way out.
type wireError struct {
	segs []string // innermost first
	what string
	// semantic: the bytes decode, but savant-core's conversion refuses them
	// (a field not set, an unknown enum value …).
	semantic bool
}

func (e *wireError) Error() string {
	var b strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
		if i > 0 && !strings.HasPrefix(e.segs[i-1], "[") {
			b.WriteByte('.')
		}
	}
	b.WriteString(": ")
	b.WriteString(e.what)
	return b.String()
}

func wrong(what string) error { return &wireError{what: what} }

// unmet is a refusal of savant-core's conversion, not of the decoding.
func unmet(what string) error { return &wireError{what: what, semantic: true} }

// isSemantic reports whether err is only savant-core's conversion refusing.
func isSemantic(err error) bool {
	var e *wireError
	return errors.As(err, &e) && e.semantic
}

// under prefixes err's field path with seg.
func under(err error, seg string) error {
	if err == nil || seg == "" {
		return err
	}
	var e *wireError
	if errors.As(err, &e) {
		e.segs = append(e.segs, seg)
	}
	return err
}

// at prefixes err's field path with seg[i] (built only for an error).
func at(err error, seg string, i int) error {
	if err == nil {
		return nil
	}
	return under(under(err, "["+strconv.Itoa(i)+"]"), seg)
}

// field is one field of a message on the wire.
type field struct {
	num protowire.Number
	typ protowire.Type
	val []byte // the bytes of a BytesType field
	n   uint64 // a varint field's value
}

// walker reads the fields of a message one at a time; the checks loop over
// it instead of taking a callback per field, which keeps the per-field work
// in one function (a callback per field cost a third of the check).
type walker struct {
	b   []byte
	err error // why next stopped early: malformed input
}

// next reads the next field into f; it returns false at the end of the
// message or on malformed input (w.err). One-byte tags and lengths (nearly
// all of them) are read inline.
func (w *walker) next(f *field) bool {
	b := w.b
	if len(b) == 0 {
		return false
	}
	*f = field{}
	var n int
	if c := b[0]; c < 0x80 && c >= 8 {
		f.num, f.typ, n = protowire.Number(c>>3), protowire.Type(c&7), 1
	} else if f.num, f.typ, n = protowire.ConsumeTag(b); n < 0 {
		w.err, w.b = wrong(protowire.ParseError(n).Error()), nil
		return false
	} else if f.num > protowire.MaxValidNumber {
		w.err, w.b = wrong("invalid field number"), nil
		return false
	}
	b = b[n:]
	switch f.typ {
	case protowire.VarintType:
		if len(b) > 0 && b[0] < 0x80 {
			f.n, n = uint64(b[0]), 1
		} else {
			f.n, n = protowire.ConsumeVarint(b)
		}
	case protowire.BytesType:
		if len(b) > 0 && b[0] < 0x80 {
			l := int(b[0])
			if l >= len(b) {
				w.err, w.b = wrong(protowire.ParseError(-1).Error()), nil // truncated (io.ErrUnexpectedEOF)
				return false
			}
			f.val, n = b[1:1+l:1+l], 1+l
		} else {
			f.val, n = protowire.ConsumeBytes(b)
		}
	default:
		n = protowire.ConsumeFieldValue(f.num, f.typ, b)
	}
	if n < 0 {
		w.err, w.b = wrong(protowire.ParseError(n).Error()), nil
		return false
	}
	w.b = b[n:]
	return true
}

// fields calls fn for each field of b; fn sees nothing of malformed input.
// (The rarely used messages; the frequent ones loop over a walker.)
func fields(b []byte, fn func(f field) error) error {
	w := walker{b: b}
	var f field
	for w.next(&f) {
		if err := fn(f); err != nil {
			return err
		}
	}
	return w.err
}

// once refuses a singular field seen before (seen is a bit per field number).
func once(seen *uint64, num protowire.Number, name string) error {
	if num < 64 {
		bit := uint64(1) << uint(num)
		if *seen&bit != 0 {
			return givenTwice(name)
		}
		*seen |= bit
	}
	return nil
}

// singleScalar checks a singular scalar field: given once (see once), of
// kind k.
func singleScalar(seen *uint64, f field, k kind, name string) error {
	if err := once(seen, f.num, name); err != nil {
		return err
	}
	return scalar(f, k, false, name)
}

func givenTwice(name string) error {
	return under(wrong("given twice"), name) // name "" adds no segment
}

// Scalar kinds a field may have.
type kind uint8

const (
	kNone kind = iota // not a field of the message
	kVarint
	kFixed32
	kFixed64
	kString
	kBytes
)

// scalar checks a scalar field's wire type (and a string's UTF-8); repeated
// numeric fields may also come packed.
// The common case (the expected wire type, an ASCII string) is inlined.
func scalar(f field, k kind, repeated bool, name string) error {
	if f.typ == wireTypes[k] && k != kString {
		return nil
	}
	return scalarSlow(f, k, repeated, name)
}

// wireTypes is the wire type of each kind (unpacked).
var wireTypes = [...]protowire.Type{kNone: -1, kVarint: protowire.VarintType, kFixed32: protowire.Fixed32Type,
	kFixed64: protowire.Fixed64Type, kString: protowire.BytesType, kBytes: protowire.BytesType}

// ascii reports whether a short string is ASCII (false for a long one: the
// caller then runs utf8.Valid, whose own fast path is for long strings).
func ascii(b []byte) bool {
	if len(b) > 32 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func scalarSlow(f field, k kind, repeated bool, name string) error {
	want := wireTypes[k]
	if f.typ == want {
		if k == kString && !ascii(f.val) && !utf8.Valid(f.val) {
			return under(wrong("not UTF-8"), name)
		}
		return nil
	}
	if repeated && k != kString && k != kBytes && f.typ == protowire.BytesType {
		return packed(f.val, want, name)
	}
	return under(wrong(fmt.Sprintf("wire type %d, want %d", f.typ, want)), name)
}

func packed(b []byte, typ protowire.Type, name string) error {
	switch typ {
	case protowire.Fixed32Type, protowire.Fixed64Type:
		size := 4
		if typ == protowire.Fixed64Type {
			size = 8
		}
		if len(b)%size != 0 {
			return under(wrong(protowire.ParseError(-1).Error()), name) // truncated
		}
		return nil
	}
	for len(b) > 0 {
		var n int
		switch typ {
		case protowire.VarintType:
			_, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			_, n = protowire.ConsumeFixed32(b)
		default:
			_, n = protowire.ConsumeFixed64(b)
		}
		if n < 0 {
			return under(wrong(protowire.ParseError(n).Error()), name)
		}
		b = b[n:]
	}
	return nil
}

// message checks that f is a length-delimited field and checks its bytes with fn.
func message(f field, name string, fn func([]byte) error) error {
	if f.typ != protowire.BytesType {
		return under(wrong(fmt.Sprintf("wire type %d, want a message", f.typ)), name)
	}
	return under(fn(f.val), name)
}

// enum checks an enum value against the values savant-rs knows (0..last).
func enum(f field, last uint64, name string) error {
	if err := scalar(f, kVarint, false, name); err != nil {
		return err
	}
	if v := int64(f.n); v < 0 || uint64(v) > last {
		return under(unmet(fmt.Sprintf("unknown value %d", int32(f.n))), name)
	}
	return nil
}

// simple checks a message made only of the given scalar fields (field
// number → kind; repeated ones accept packing); others are skipped.
func simple(b []byte, kinds *schema, repeated bool) error {
	var seen uint64
	w := walker{b: b}
	var f field
	for w.next(&f) {
		if f.num >= protowire.Number(len(kinds)) || kinds[f.num] == kNone {
			continue
		}
		k := kinds[f.num]
		var err error
		if !repeated {
			err = once(&seen, f.num, "")
		}
		if err == nil {
			err = scalar(f, k, repeated, "")
		}
		if err != nil {
			return under(err, "field "+strconv.Itoa(int(f.num)))
		}
	}
	return w.err
}

// schema gives the kind of each field number of a message of scalars.
type schema [6]kind

var (
	oneString    = &schema{1: kString}
	twoStrings   = &schema{1: kString, 2: kString}
	twoVarints   = &schema{1: kVarint, 2: kVarint}
	fourVarints  = &schema{1: kVarint, 2: kVarint, 3: kVarint, 4: kVarint}
	boundingBox  = &schema{1: kFixed32, 2: kFixed32, 3: kFixed32, 4: kFixed32, 5: kFixed32}
	point        = &schema{1: kFixed32, 2: kFixed32}
	oneVarint    = &schema{1: kVarint}
	oneFixed64   = &schema{1: kFixed64}
	bytesValue   = &schema{1: kVarint, 2: kBytes}
	varintString = &schema{1: kVarint, 2: kString}
)
