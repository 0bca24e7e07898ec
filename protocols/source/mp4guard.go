package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/abema/go-mp4"
)

// mediacommon's fMP4 readers let some boxes hold themselves (mdia, minf
// and stbl in an init segment, traf with its tfhd and tfdt in a media
// segment), and go-mp4 reads nesting recursively at a cost that grows with
// the square of the depth: a 320 KB init segment of nested mdia boxes took
// 22 s of CPU, a 10 MB one hours and a stack that kills the process. No
// real file has a box inside a box of its own type; checkMP4 refuses one,
// which bounds the depth it reads at the mp4Expanded types (10) and a leaf.

// maxMP4Steps bounds the boxes checkMP4 visits in one file (media data is
// not looked into): real init segments have tens, a segment of one
// fragment a frame for 10 s at 60 fps a few thousand.
const maxMP4Steps = 1 << 16

// errMP4Refused: an HLS origin sent a file gohlslib could parse as fMP4
// that checkMP4 refuses.
var errMP4Refused = errors.New("source: a file from the HLS origin was refused before parsing")

// maxGuardedBody is the most of one response the guard reads: gohlslib's
// own bound on a segment (it fails past it).
const maxGuardedBody = 100<<20 + 1

// mp4GuardTransport checks every response before gohlslib's client reads
// it: the body is read whole and refused (a read error, so a failed
// download) when checkMP4 refuses it. gohlslib decides what it parses as
// fMP4 from the playlist, not from the bytes, so every body is checked;
// a playlist or an MPEG-TS segment reads as one box of a type that is not
// looked into.
type mp4GuardTransport struct{ http.RoundTripper }

func (t mp4GuardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &mp4GuardBody{rc: resp.Body}
	return resp, nil
}

// mp4GuardBody reads the whole body and checks it on its first read.
type mp4GuardBody struct {
	rc io.ReadCloser
	r  io.Reader
}

func (b *mp4GuardBody) Read(p []byte) (int, error) {
	if b.r == nil {
		whole, err := io.ReadAll(io.LimitReader(b.rc, maxGuardedBody))
		if err == nil {
			err = checkMP4(whole)
		}
		if err != nil {
			b.r = errReader{err}
		} else {
			b.r = bytes.NewReader(whole)
		}
	}
	return b.r.Read(p)
}

func (b *mp4GuardBody) Close() error { return b.rc.Close() }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// mp4Expanded are the boxes whose children mediacommon's fMP4 readers read
// (an init segment's moov, udta, mvhd, trak, mdia, minf, stbl, stsd; a
// segment's moof and traf); below stsd its codec state machine reads a
// bounded few. checkMP4 reads the children of these, wherever they are.
var mp4Expanded = map[mp4.BoxType]bool{
	mp4.BoxTypeMoov(): true, mp4.BoxTypeUdta(): true, mp4.BoxTypeMvhd(): true, mp4.BoxTypeTrak(): true,
	mp4.BoxTypeMdia(): true, mp4.BoxTypeMinf(): true, mp4.BoxTypeStbl(): true, mp4.BoxTypeStsd(): true,
	mp4.BoxTypeMoof(): true, mp4.BoxTypeTraf(): true,
}

// checkMP4 reads b's boxes with go-mp4, as mediacommon's readers do (the
// same splitting), children of the mp4Expanded boxes included, and
// refuses a file with a box inside a box of its own type, with over
// maxMP4Steps boxes, or whose expanded boxes do not parse (mediacommon
// would read what follows such a box where checkMP4 could not). The
// nesting it reads is bounded, so the check itself costs little.
func checkMP4(b []byte) error {
	steps := 0
	_, err := mp4.ReadBoxStructure(bytes.NewReader(b), func(h *mp4.ReadHandle) (any, error) {
		t := h.BoxInfo.Type
		switch steps++; {
		case steps > maxMP4Steps:
			return nil, fmt.Errorf("%w: over %d boxes", errMP4Refused, maxMP4Steps)
		case slices.Contains(h.Path[:len(h.Path)-1], t):
			return nil, fmt.Errorf("%w: a %q box inside a %q box", errMP4Refused, t.String(), t.String())
		case mp4Expanded[t]:
			return h.Expand()
		}
		return nil, nil
	})
	if err != nil && !errors.Is(err, errMP4Refused) {
		return fmt.Errorf("%w: its boxes do not parse: %v", errMP4Refused, err)
	}
	return err
}
