package savant

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
)

// The Savant message checks, field by field (schema: pb/savant.proto;
// rules: the comment at the top of validate.go).

// MessageInfo is what the gateway needs of a checked message.
type MessageInfo struct {
	// Labels are the message's routing_labels.
	Labels []string
	// Content is the field number of the message's content (ContentVideoFrame …).
	Content protowire.Number
}

// The contents of a Savant Message (field numbers of its content oneof).
const (
	ContentVideoFrame       protowire.Number = 5
	ContentVideoFrameBatch  protowire.Number = 6
	ContentVideoFrameUpdate protowire.Number = 7
	ContentUserData         protowire.Number = 8
	ContentEndOfStream      protowire.Number = 9
	ContentUnknown          protowire.Number = 10
	ContentShutdown         protowire.Number = 11
)

var contentNames = map[protowire.Number]string{
	ContentVideoFrame: "video_frame", ContentVideoFrameBatch: "video_frame_batch", ContentVideoFrameUpdate: "video_frame_update",
	ContentUserData: "user_data", ContentEndOfStream: "end_of_stream", ContentUnknown: "unknown", ContentShutdown: "shutdown",
}

// CheckMessage checks a Savant Message's bytes the way savant-core does
// (see above) and returns its routing labels and content.
func CheckMessage(b []byte) (MessageInfo, error) {
	var info MessageInfo
	var seen uint64
	err := fields(b, func(f field) error {
		switch f.num {
		case 1, 20:
			name := "system_id"
			if f.num == 1 {
				name = "protocol_version"
			}
			return singleScalar(&seen, f, kString, name)
		case 2:
			if err := scalar(f, kString, false, "routing_labels"); err != nil {
				return err
			}
			info.Labels = append(info.Labels, string(f.val))
		case 3:
			return message(f, "propagated_context", func(b []byte) error { return simple(b, twoStrings, false) })
		case 4:
			return singleScalar(&seen, f, kVarint, "seq_id")
		case ContentVideoFrame, ContentVideoFrameBatch, ContentVideoFrameUpdate, ContentUserData,
			ContentEndOfStream, ContentUnknown, ContentShutdown:
			name := contentNames[f.num]
			if info.Content != 0 {
				return under(wrong("given twice"), "content")
			}
			info.Content = f.num
			return message(f, name, content(f.num))
		}
		return nil
	})
	if err == nil && info.Content == 0 {
		err = under(wrong("not set"), "content")
	}
	if err != nil {
		return MessageInfo{}, fmt.Errorf("%w: %v", ErrBadMedia, err)
	}
	return info, nil
}

func content(num protowire.Number) func([]byte) error {
	switch num {
	case ContentVideoFrame:
		return checkFrame
	case ContentVideoFrameBatch:
		return checkBatch
	case ContentVideoFrameUpdate:
		return checkUpdate
	case ContentUserData:
		return checkUserData
	}
	return func(b []byte) error { return simple(b, oneString, false) } // EndOfStream, Unknown, Shutdown
}

func checkUUID(f field, name string) error {
	if err := scalar(f, kString, false, name); err != nil {
		return err
	}
	if _, err := uuid.ParseBytes(f.val); err != nil {
		return under(wrong("not a UUID"), name)
	}
	return nil
}

func checkFrame(b []byte) error {
	var seen uint64
	type child struct {
		index  int
		parent int64
	}
	var idBuf [32]int64
	var parentBuf [32]child
	ids, parents := idBuf[:0], parentBuf[:0]
	hasUUID, hasContent := false, false
	transformations, attributes, objects := 0, 0, 0
	w := walker{b: b}
	var f field
	var err error
	for err == nil && w.next(&f) {
		if f.num <= 16 {
			if err = once(&seen, f.num, frameFieldNames[f.num]); err != nil {
				break
			}
		}
		switch f.num {
		case 1, 4, 5, 7, 8, 11, 12, 13, 14, 15, 16:
			err = scalar(f, kVarint, false, frameFieldNames[f.num])
		case 2, 6, 10:
			err = scalar(f, kString, false, frameFieldNames[f.num])
		case 3:
			hasUUID = true
			err = checkUUID(f, "uuid")
		case 26:
			if err = once(&seen, f.num, "previous_keyframe"); err == nil {
				err = checkUUID(f, "previous_keyframe")
			}
		case 9:
			err = enum(f, 1, "transcoding_method")
		case 17, 18, 19:
			if hasContent {
				err = under(wrong("given twice"), "content")
				break
			}
			hasContent = true
			switch f.num {
			case 17:
				err = scalar(f, kBytes, false, "internal")
			case 18:
				err = message(f, "external", func(b []byte) error { return simple(b, twoStrings, false) })
			default:
				err = message(f, "none", func([]byte) error { return nil })
			}
		case 23:
			i := transformations
			transformations++
			err = at(message(f, "", checkTransformation), "transformations", i)
		case 24:
			i := attributes
			attributes++
			err = at(message(f, "", func(b []byte) error { return checkAttribute(b, false) }), "attributes", i)
		case 25:
			i := objects
			objects++
			if f.typ != protowire.BytesType {
				err = at(wrong(fmt.Sprintf("wire type %d, want a message", f.typ)), "objects", i)
				break
			}
			id, parent, hasParent, oerr := checkObject(f.val)
			ids = append(ids, id)
			if hasParent {
				parents = append(parents, child{i, parent})
			}
			err = at(oerr, "objects", i)
		}
	}
	if err == nil {
		err = w.err
	}
	switch {
	case err != nil:
		return err
	case !hasUUID:
		return under(wrong("not a UUID"), "uuid")
	case !hasContent:
		return under(wrong("not set"), "content")
	}
	if len(parents) > 0 {
		slices.Sort(ids)
		for _, c := range parents {
			if _, ok := slices.BinarySearch(ids, c.parent); !ok {
				err := under(wrong(fmt.Sprintf("%d is no object of the frame", c.parent)), "parent_id")
				return under(under(err, "["+strconv.Itoa(c.index)+"]"), "objects")
			}
		}
	}
	return nil
}

var frameFieldNames = [17]string{1: "previous_frame_seq_id", 2: "source_id", 3: "uuid", 4: "creation_timestamp_ns_high",
	5: "creation_timestamp_ns_low", 6: "framerate", 7: "width", 8: "height", 9: "transcoding_method", 10: "codec",
	11: "keyframe", 12: "time_base_numerator", 13: "time_base_denominator", 14: "pts", 15: "dts", 16: "duration"}

func checkTransformation(b []byte) error {
	set := false
	err := fields(b, func(f field) error {
		var kinds *schema
		switch f.num {
		case 1, 2, 4:
			kinds = twoVarints
		case 3:
			kinds = fourVarints
		default:
			return nil
		}
		if set {
			return under(wrong("given twice"), "transformation")
		}
		set = true
		return message(f, "transformation", func(b []byte) error { return simple(b, kinds, false) })
	})
	if err == nil && !set {
		err = under(wrong("not set"), "transformation")
	}
	return err
}

// checkObject checks a VideoObject and returns its id and parent.
func checkObject(b []byte) (id, parent int64, hasParent bool, err error) {
	var seen uint64
	hasBox := false
	attributes := 0
	w := walker{b: b}
	var f field
	for err == nil {
		// An attribute (field 7) in the common shape, without a call to
		// the walker (most of an object's fields).
		if b := w.b; len(b) >= 2 && b[0] == 7<<3|2 && b[1] < 0x80 && int(b[1])+2 <= len(b) && attributeFast(b[2:2+int(b[1])]) {
			w.b = b[2+int(b[1]):]
			attributes++
			continue
		}
		if !w.next(&f) {
			break
		}
		switch f.num {
		case 1, 2, 10:
			name := objectFieldNames[f.num]
			if err = once(&seen, f.num, name); err == nil {
				err = scalar(f, kVarint, false, name)
			}
			switch f.num {
			case 1:
				id = int64(f.n)
			case 2:
				parent, hasParent = int64(f.n), true
			}
		case 3, 4, 5:
			name := objectFieldNames[f.num]
			if err = once(&seen, f.num, name); err == nil {
				err = scalar(f, kString, false, name)
			}
		case 6, 9:
			name := objectFieldNames[f.num]
			if err = once(&seen, f.num, name); err == nil {
				hasBox = hasBox || f.num == 6
				err = message(f, name, func(b []byte) error { return simple(b, boundingBox, false) })
			}
		case 7:
			i := attributes
			attributes++
			err = at(message(f, "", func(b []byte) error { return checkAttribute(b, true) }), "attributes", i)
		case 8:
			if err = once(&seen, f.num, "confidence"); err == nil {
				err = scalar(f, kFixed32, false, "confidence")
			}
		}
	}
	if err == nil {
		err = w.err
	}
	if err == nil && !hasBox {
		err = under(wrong("not set"), "detection_box")
	}
	return id, parent, hasParent, err
}
