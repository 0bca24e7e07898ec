package source

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
)

// maxMP4Depth bounds how deep the boxes of an fMP4 file an HLS origin
// sends may nest. Real files nest about ten deep (moov, trak, mdia, minf,
// stbl, stsd, a sample entry, its configuration; sinf, schi, tenc when
// encrypted). mediacommon's readers let some boxes hold themselves (mdia,
// minf and stbl in an init segment, traf with its tfhd and tfdt in a media
// segment) and go-mp4 reads nesting recursively at a cost that grows with
// the square of the depth: a 320 KB init segment of nested mdia boxes took
// 22 s of CPU, a 10 MB one hours and a stack that kills the process.
const maxMP4Depth = 32

// maxMP4Steps bounds the box headers checkMP4Depth reads in one file
// (media data is not looked into): real init segments and fMP4 segments
// have tens of boxes.
const maxMP4Steps = 1 << 20

// errMP4TooDeep: an fMP4 file from an HLS origin nests over maxMP4Depth,
// or has over maxMP4Steps box headers to read.
var errMP4TooDeep = fmt.Errorf("source: an fMP4 file from the HLS origin nests boxes over %d deep (or has over %d)", maxMP4Depth, maxMP4Steps)

// maxGuardedBody is the most of one response the guard reads: gohlslib's
// own bound on a segment (it fails past it).
const maxGuardedBody = 100<<20 + 1

// mp4GuardTransport checks every response that starts as an MP4 file
// (gohlslib's init segments, fMP4 segments and parts) before gohlslib's
// client parses it: the body is read whole and refused (a read error, so a
// failed download) when its boxes nest over maxMP4Depth. Playlists and
// MPEG-TS segments pass as they come.
type mp4GuardTransport struct{ http.RoundTripper }

func (t mp4GuardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &mp4GuardBody{rc: resp.Body, br: bufio.NewReader(resp.Body)}
	return resp, nil
}

// mp4GuardBody decides on its first read: an MP4 file is read whole and
// checked, anything else passes through.
type mp4GuardBody struct {
	rc      io.ReadCloser
	br      *bufio.Reader
	decided bool
	r       io.Reader
}

func (b *mp4GuardBody) Read(p []byte) (int, error) {
	if !b.decided {
		b.decided = true
		b.r = b.br
		if head, _ := b.br.Peek(8); looksLikeMP4(head) {
			whole, err := io.ReadAll(io.LimitReader(b.br, maxGuardedBody))
			if err != nil {
				return 0, err
			}
			if err := checkMP4Depth(whole); err != nil {
				b.r = errReader{err}
			} else {
				b.r = &sliceReader{b: whole}
			}
		}
	}
	return b.r.Read(p)
}

func (b *mp4GuardBody) Close() error { return b.rc.Close() }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// sliceReader reads b; unlike bytes.Reader it lets go of what was read.
type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// looksLikeMP4: head is the header of a box of a type that starts an MP4
// file or an fMP4 segment.
func looksLikeMP4(head []byte) bool {
	if len(head) < 8 {
		return false
	}
	switch string(head[4:8]) {
	case "ftyp", "styp", "moov", "moof", "sidx", "emsg", "prft", "free", "skip", "mdat", "uuid":
		return true
	}
	return false
}

// childOffsets are where a box's children may start in its payload:
// containers (0), full boxes (4: meta), full boxes with an entry count (8:
// stsd, dref), audio sample entries (28, 44 and 64 for versions 0, 1 and
// 2) and visual ones (78).
var childOffsets = []int{0, 4, 8, 28, 44, 64, 78}

// checkMP4Depth walks b's boxes without recursion and returns
// errMP4TooDeep when they nest over maxMP4Depth. A box is taken to hold
// children when the rest of its payload, from one of childOffsets, is a
// whole sequence of boxes; what is not boxes is not looked into (the MP4
// readers judge it).
func checkMP4Depth(b []byte) error {
	type level struct {
		seq   []byte
		depth int
	}
	stack := []level{{b, 0}}
	steps := 0
	for len(stack) > 0 {
		l := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for seq := l.seq; len(seq) > 0; {
			typ, payload, rest, ok := nextBox(seq)
			if !ok {
				break
			}
			seq = rest
			steps++
			if t := string(typ[:]); t == "mdat" || t == "free" || t == "skip" {
				continue
			}
			for _, off := range childOffsets {
				if off < len(payload) && isBoxSequence(payload[off:], &steps) {
					if l.depth+1 >= maxMP4Depth {
						return errMP4TooDeep
					}
					stack = append(stack, level{payload[off:], l.depth + 1})
					break
				}
			}
			if steps > maxMP4Steps {
				return errMP4TooDeep
			}
		}
	}
	return nil
}

// nextBox splits the first box off seq: its type, its payload and what
// follows it; ok is false when seq does not start with a whole box.
func nextBox(seq []byte) (typ [4]byte, payload, rest []byte, ok bool) {
	if len(seq) < 8 {
		return typ, nil, nil, false
	}
	size, header := uint64(binary.BigEndian.Uint32(seq)), uint64(8)
	switch size {
	case 0: // to the end
		size = uint64(len(seq))
	case 1: // 64-bit size
		if len(seq) < 16 {
			return typ, nil, nil, false
		}
		size, header = binary.BigEndian.Uint64(seq[8:]), 16
	}
	if size < header || size > uint64(len(seq)) {
		return typ, nil, nil, false
	}
	for _, c := range seq[4:8] {
		if c < 0x20 || c > 0x7e {
			return typ, nil, nil, false
		}
	}
	return [4]byte(seq[4:8]), seq[header:size], seq[size:], true
}

// isBoxSequence: seq is one or more whole boxes, nothing after them. Each
// header read counts in *steps; past maxMP4Steps it answers false (the
// caller then refuses the file on its own count).
func isBoxSequence(seq []byte, steps *int) bool {
	if len(seq) == 0 {
		return false
	}
	for len(seq) > 0 {
		_, _, rest, ok := nextBox(seq)
		if *steps++; !ok || *steps > maxMP4Steps {
			return false
		}
		seq = rest
	}
	return true
}
