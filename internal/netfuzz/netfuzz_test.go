package netfuzz

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

func testSeeds(t *testing.T) []Seed {
	t.Helper()
	seeds, err := Load("../../e2e/testdata/netfuzz")
	if err != nil {
		t.Fatal(err)
	}
	return seeds
}

// Every committed seed decodes, is below MaxSeedSize, and encodes back to
// the same bytes.
func TestSeedsRoundTrip(t *testing.T) {
	for _, s := range testSeeds(t) {
		b := s.Marshal()
		if len(b) > MaxSeedSize {
			t.Errorf("%s: %d bytes, over %d", s.Name, len(b), MaxSeedSize)
		}
		back, err := Unmarshal(s.Name, b)
		if err != nil || !slices.EqualFunc(back.Chunks, s.Chunks, bytes.Equal) || back.Proto != s.Proto {
			t.Errorf("%s: does not round-trip: %v", s.Name, err)
		}
	}
	if _, err := Unmarshal("nope-x", []byte("NFZ1")); err == nil {
		t.Error("a seed of an unknown protocol loaded")
	}
	if _, err := Unmarshal("rtsp-x", []byte("NFZ1\x00\x00\x00\x09ab")); err == nil {
		t.Error("a truncated seed loaded")
	}
}

// The same seed gives the same mutations; the seed itself is not changed;
// mutated sessions stay within the bounds.
func TestMutatorDeterministicAndBounded(t *testing.T) {
	seeds := testSeeds(t)
	orig := make([][]byte, len(seeds))
	for i, s := range seeds {
		orig[i] = s.Marshal()
	}
	run := func() [][]byte {
		m := NewMutator(42, seeds)
		var out [][]byte
		for i := range 2000 {
			got, _ := m.Mutate(seeds[i%len(seeds)])
			if len(got.Chunks) > maxChunks || got.Size() > MaxSession {
				t.Fatalf("mutated %s: %d chunks, %d bytes", got.Name, len(got.Chunks), got.Size())
			}
			for _, c := range got.Chunks {
				if len(c) > MaxChunk {
					t.Fatalf("mutated %s: a chunk of %d bytes", got.Name, len(c))
				}
			}
			out = append(out, got.Marshal())
		}
		return out
	}
	a, b := run(), run()
	if !slices.EqualFunc(a, b, bytes.Equal) {
		t.Error("the same mutator seed gave different sessions")
	}
	for i, s := range seeds {
		if !bytes.Equal(s.Marshal(), orig[i]) {
			t.Errorf("%s was changed by mutating it", s.Name)
		}
	}
}

// An SRT handshake's boundaries are the header, the CIF and each
// extension block; the fixups put the live cookie and socket ID in place.
func TestSRTBoundariesAndFixups(t *testing.T) {
	hs := make([]byte, srtHSMin+8)
	hs[0] = 0x80
	binary.BigEndian.PutUint32(hs[srtHSType:], srtHSConclusion)
	binary.BigEndian.PutUint32(hs[srtDestSocket:], 7)
	binary.BigEndian.PutUint16(hs[srtHSMin+2:], 1) // one extension of 4 bytes
	if got, want := boundaries("srt", hs), []int{16, 64, 66, 68, 72}; !slices.Equal(got, want) {
		t.Errorf("boundaries = %v, want %v", got, want)
	}
	fixed := fixSRT(bytes.Clone(hs), 0xc0c0, 0x5050)
	if binary.BigEndian.Uint32(fixed[srtHSCookie:]) != 0xc0c0 || binary.BigEndian.Uint32(fixed[srtDestSocket:]) != 0x5050 {
		t.Errorf("fixSRT did not set the cookie and the socket: %x", fixed)
	}
}
