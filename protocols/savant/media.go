package savant

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Media is a Media Gateway POST body, split without re-encoding: Message
// holds the message's bytes exactly as they arrived.
type Media struct {
	Topic   []byte
	Message []byte
	Data    [][]byte
	// Info is what the checks read from Message: its routing labels and
	// content.
	Info MessageInfo
}

// ErrBadMedia is wrapped by every reason a body is refused.
var ErrBadMedia = errors.New("savant: bad Media body")

// ParseMedia splits and checks a Media body: the message must be present
// and pass CheckMessage (what a savant-rs reader accepts); the topic must be
// UTF-8.
func ParseMedia(body []byte) (*Media, error) {
	m := &Media{}
	seenMessage := false
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", ErrBadMedia, protowire.ParseError(n))
		}
		body = body[n:]
		if typ != protowire.BytesType || num < 1 || num > 3 {
			n = protowire.ConsumeFieldValue(num, typ, body)
			if n < 0 {
				return nil, fmt.Errorf("%w: %v", ErrBadMedia, protowire.ParseError(n))
			}
			body = body[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(body)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", ErrBadMedia, protowire.ParseError(n))
		}
		body = body[n:]
		switch num {
		case 1:
			// proto3 merges repeated occurrences of a message field; a
			// client that sends two is refused instead.
			if seenMessage {
				return nil, fmt.Errorf("%w: message given twice", ErrBadMedia)
			}
			m.Message, seenMessage = v, true
		case 2:
			m.Topic = v
		case 3:
			m.Data = append(m.Data, v)
		}
	}
	if !seenMessage {
		return nil, fmt.Errorf("%w: no message", ErrBadMedia)
	}
	if !utf8.Valid(m.Topic) {
		return nil, fmt.Errorf("%w: topic is not UTF-8", ErrBadMedia)
	}
	info, err := CheckMessage(m.Message)
	if err != nil {
		return nil, err
	}
	m.Info = info
	return m, nil
}

// IsShutdown reports a Shutdown message, which an auth edge never forwards.
func (m *Media) IsShutdown() bool { return m.Info.Content == ContentShutdown }

// IsEndOfStream reports an EndOfStream message.
func (m *Media) IsEndOfStream() bool { return m.Info.Content == ContentEndOfStream }
