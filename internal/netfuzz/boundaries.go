package netfuzz

import (
	"bytes"
	"encoding/binary"
)

// boundaries are offsets in a chunk where a protocol's structures end and
// begin — header/body splits, records, extension blocks, frames — where
// length checks live. Truncations, inserts and deletes land near one of
// them half of the time.
func boundaries(proto string, c []byte) []int {
	var out []int
	switch proto {
	case "srt":
		if !IsSRTHandshake(c) {
			return []int{16}
		}
		out = append(out, 16, srtHSMin)
		// Extension blocks: type (2 bytes), length in 4-byte words (2), data.
		for p := srtHSMin; p+4 <= len(c); {
			n := 4 + 4*int(binary.BigEndian.Uint16(c[p+2:]))
			out = append(out, p+2, p+4)
			p += n
			out = append(out, p)
		}
	case "rtmp":
		out = append(out, 1, 1+1536, 1+2*1536)
		fallthrough
	case "rtsp":
		// Interleaved frames: '$', channel, 2-byte length, payload.
		for p := 0; p+4 <= len(c) && c[p] == '$'; {
			p += 4 + int(binary.BigEndian.Uint16(c[p+2:]))
			out = append(out, p)
		}
		fallthrough
	default:
		// Text: after each line; the header/body split.
		for p := 0; ; {
			i := bytes.Index(c[p:], []byte("\r\n"))
			if i < 0 {
				break
			}
			p += i + 2
			out = append(out, p)
		}
	}
	return out
}

// nearBoundary is an offset in [0, len(c)] near one of c's boundaries, or
// a uniform one.
func (m *Mutator) nearBoundary(proto string, c []byte) int {
	if b := boundaries(proto, c); len(b) > 0 && m.R.IntN(2) == 0 {
		p := b[m.R.IntN(len(b))] + m.R.IntN(7) - 3
		return max(0, min(p, len(c)))
	}
	if len(c) == 0 {
		return 0
	}
	return m.R.IntN(len(c) + 1)
}
