package netfuzz

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Bounds of a mutated session: each chunk and the whole session stay below
// these, whatever the mutations repeat or insert.
const (
	MaxChunk    = 256 << 10
	MaxSession  = 1 << 20
	maxChunks   = 4096
	maxMutation = 8
)

// Mutator mutates seeds with a deterministic random source: the same
// state gives the same mutations.
type Mutator struct {
	R *rand.Rand
	// Pool supplies chunks for splicing (usually every seed loaded).
	Pool []Seed
	// Frozen, when it returns true for a chunk, keeps that chunk as it is
	// (used to switch off the mutation of one kind of packet).
	Frozen func(proto string, chunk []byte) bool
}

// NewMutator is a Mutator seeded with seed.
func NewMutator(seed uint64, pool []Seed) *Mutator {
	return &Mutator{R: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Pool: pool}
}

// Op is one kind of mutation.
type Op string

// The mutations.
const (
	OpBitFlip     Op = "bitflip"
	OpInteresting Op = "interesting-byte"
	OpInsert      Op = "insert"
	OpDelete      Op = "delete"
	OpLength      Op = "length-field"
	OpNumber      Op = "text-number"
	OpTruncate    Op = "truncate-chunk"
	OpSplice      Op = "splice"
	OpRepeat      Op = "repeat-chunk"
	OpDrop        Op = "drop-chunk"
	OpSwap        Op = "swap-chunks"
	OpCut         Op = "cut-session"
	OpMerge       Op = "merge-chunks"
	OpSplit       Op = "split-chunk"
)

var ops = []Op{OpBitFlip, OpBitFlip, OpInteresting, OpInsert, OpDelete, OpLength, OpLength, OpNumber, OpTruncate,
	OpSplice, OpRepeat, OpDrop, OpSwap, OpCut, OpMerge, OpSplit}

// Mutate returns a mutated copy of s and the mutations applied. With
// probability one half a prefix of the session is kept intact, so that
// mutations land after the handshake and authentication the prefix
// carries (post-auth parsing); the rest of the time anywhere.
func (m *Mutator) Mutate(s Seed) (Seed, []string) {
	s = s.Clone()
	if len(s.Chunks) == 0 {
		return s, nil
	}
	keep := 0
	if m.R.IntN(2) == 0 {
		keep = m.R.IntN(len(s.Chunks))
	}
	var log []string
	n := 1 + m.R.IntN(maxMutation)
	for range n {
		if keep >= len(s.Chunks) {
			break
		}
		// The first chunks (handshakes, the first requests) a third of
		// the time, any other chunk otherwise.
		span := len(s.Chunks) - keep
		if m.R.IntN(3) == 0 {
			span = min(span, 4)
		}
		i := keep + m.R.IntN(span)
		if m.Frozen != nil && m.Frozen(s.Proto, s.Chunks[i]) {
			continue
		}
		op := ops[m.R.IntN(len(ops))]
		if d := m.apply(&s, i, op); d != "" {
			log = append(log, d)
		}
	}
	m.bound(&s)
	return s, log
}

func (m *Mutator) apply(s *Seed, i int, op Op) string {
	c := s.Chunks[i]
	at := func() int {
		if len(c) == 0 {
			return 0
		}
		return m.R.IntN(len(c))
	}
	desc := func(format string, args ...any) string {
		return string(op) + " chunk " + strconv.Itoa(i) + ": " + fmt.Sprintf(format, args...)
	}
	switch op {
	case OpBitFlip:
		if len(c) == 0 {
			return ""
		}
		k := 1 + m.R.IntN(8)
		for range k {
			p := at()
			c[p] ^= 1 << m.R.IntN(8)
		}
		return desc("%d bits", k)
	case OpInteresting:
		if len(c) == 0 {
			return ""
		}
		p := at()
		c[p] = []byte{0, 1, 0x7f, 0x80, 0xff, 0x20, '\r', '\n', ':', '/', '?', '%'}[m.R.IntN(12)]
		return desc("byte %d = %#x", p, c[p])
	case OpInsert:
		p, n := m.nearBoundary(s.Proto, c), 1+m.R.IntN(64)
		ins := make([]byte, n)
		switch m.R.IntN(3) {
		case 0:
			for j := range ins {
				ins[j] = byte(m.R.UintN(256))
			}
		case 1:
			ins = bytes.Repeat([]byte{byte(m.R.UintN(256))}, n*16)
		default:
			if len(c) > 0 { // repeat a piece of the chunk itself
				q := at()
				ins = bytes.Clone(c[q:min(len(c), q+n*8)])
			}
		}
		s.Chunks[i] = append(c[:p:p], append(ins, c[p:]...)...)
		return desc("%d bytes at %d", len(ins), p)
	case OpDelete:
		p := m.nearBoundary(s.Proto, c)
		if p >= len(c) {
			return ""
		}
		n := 1 + m.R.IntN(min(len(c)-p, 256))
		s.Chunks[i] = append(c[:p:p], c[p+n:]...)
		return desc("%d bytes at %d", n, p)
	case OpLength:
		return m.lengthField(s, i, desc)
	case OpNumber:
		return m.number(s, i, desc)
	case OpTruncate:
		p := m.nearBoundary(s.Proto, c)
		if p >= len(c) {
			return ""
		}
		s.Chunks[i] = c[:p]
		return desc("to %d bytes", p)
	case OpSplice:
		if len(m.Pool) == 0 {
			return ""
		}
		o := m.Pool[m.R.IntN(len(m.Pool))]
		if len(o.Chunks) == 0 {
			return ""
		}
		oc := o.Chunks[m.R.IntN(len(o.Chunks))]
		p, q := at(), 0
		if len(oc) > 0 {
			q = m.R.IntN(len(oc))
		}
		s.Chunks[i] = append(c[:p:p], oc[q:]...)
		return desc("at %d with %s from %d", p, o.Name, q)
	case OpRepeat:
		k := 1 + m.R.IntN(32)
		rep := make([][]byte, k)
		for j := range rep {
			rep[j] = bytes.Clone(c)
		}
		s.Chunks = append(s.Chunks[:i+1], append(rep, s.Chunks[i+1:]...)...)
		return desc("%d times", k)
	case OpDrop:
		s.Chunks = append(s.Chunks[:i], s.Chunks[i+1:]...)
		return desc("")
	case OpSwap:
		j := m.R.IntN(len(s.Chunks))
		s.Chunks[i], s.Chunks[j] = s.Chunks[j], s.Chunks[i]
		return desc("with %d", j)
	case OpCut:
		s.Chunks = s.Chunks[:i+1]
		return desc("")
	case OpMerge:
		if i+1 >= len(s.Chunks) {
			return ""
		}
		s.Chunks[i] = append(c, s.Chunks[i+1]...)
		s.Chunks = append(s.Chunks[:i+1], s.Chunks[i+2:]...)
		return desc("with the next")
	case OpSplit:
		if len(c) < 2 {
			return ""
		}
		p := 1 + m.R.IntN(len(c)-1)
		s.Chunks = append(s.Chunks[:i], append([][]byte{c[:p:p], c[p:]}, s.Chunks[i+1:]...)...)
		return desc("at %d", p)
	}
	return ""
}

// lengthField overwrites 1, 2 or 4 bytes (big- or little-endian) with a
// boundary value: binary protocols keep lengths, counts and sizes there.
func (m *Mutator) lengthField(s *Seed, i int, desc func(string, ...any) string) string {
	c := s.Chunks[i]
	width := []int{1, 2, 4}[m.R.IntN(3)]
	if len(c) < width {
		return ""
	}
	p := m.R.IntN(len(c) - width + 1)
	if m.R.IntN(2) == 0 {
		p &^= width - 1 // fields are usually aligned
	}
	var old uint32
	switch width {
	case 1:
		old = uint32(c[p])
	case 2:
		old = uint32(binary.BigEndian.Uint16(c[p:]))
	default:
		old = binary.BigEndian.Uint32(c[p:])
	}
	vals := []uint32{0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xffffffff, old + 1, old - 1, old * 2, old / 2, uint32(len(c)), uint32(len(c)) + 1}
	v := vals[m.R.IntN(len(vals))]
	little := m.R.IntN(4) == 0
	switch width {
	case 1:
		c[p] = byte(v)
	case 2:
		if little {
			binary.LittleEndian.PutUint16(c[p:], uint16(v))
		} else {
			binary.BigEndian.PutUint16(c[p:], uint16(v))
		}
	default:
		if little {
			binary.LittleEndian.PutUint32(c[p:], v)
		} else {
			binary.BigEndian.PutUint32(c[p:], v)
		}
	}
	return desc("%d bytes at %d = %#x (little-endian %v)", width, p, v, little)
}

// number replaces a run of ASCII digits (Content-Length, CSeq, a port, an
// SDP field) with a boundary number.
func (m *Mutator) number(s *Seed, i int, desc func(string, ...any) string) string {
	c := s.Chunks[i]
	var runs [][2]int
	for j := 0; j < len(c); {
		if c[j] < '0' || c[j] > '9' {
			j++
			continue
		}
		k := j
		for k < len(c) && c[k] >= '0' && c[k] <= '9' {
			k++
		}
		runs = append(runs, [2]int{j, k})
		j = k
	}
	if len(runs) == 0 {
		return ""
	}
	r := runs[m.R.IntN(len(runs))]
	nums := []string{"0", "-1", "1", "65535", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808", "99999999999999999999999999", "00000000000000000000001", "1e9", ""}
	v := nums[m.R.IntN(len(nums))]
	s.Chunks[i] = append(c[:r[0]:r[0]], append([]byte(v), c[r[1]:]...)...)
	return desc("number at %d = %q", r[0], v)
}

// bound cuts the session back to MaxChunk a chunk, maxChunks chunks and
// MaxSession bytes.
func (m *Mutator) bound(s *Seed) {
	if len(s.Chunks) > maxChunks {
		s.Chunks = s.Chunks[:maxChunks]
	}
	total := 0
	for i, c := range s.Chunks {
		if len(c) > MaxChunk {
			c = c[:MaxChunk]
			s.Chunks[i] = c
		}
		if total+len(c) > MaxSession {
			s.Chunks = s.Chunks[:i]
			return
		}
		total += len(c)
	}
}
