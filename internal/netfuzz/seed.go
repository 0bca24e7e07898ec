// Package netfuzz throws mutated traffic at a running streamgate: it holds
// the seed format (client-to-server byte streams recorded from real
// ffmpeg, GStreamer and Chromium sessions), the recording proxies that
// capture them, the mutators and the per-protocol drivers that replay a
// mutated session against a listener on 127.0.0.1. The end-to-end test
// TestNetworkFuzz (e2e/netfuzz_test.go) runs it against the real binary.
package netfuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Transport is how a protocol's traffic is sent.
type Transport int

const (
	// TCP: the chunks are written, in order, on one connection.
	TCP Transport = iota
	// UDP: each chunk is one datagram.
	UDP
)

// Protocols are the listeners seeds are recorded for: the seed file name's
// prefix, the harness's listener name and the transport.
var Protocols = map[string]Transport{
	"rtsp": TCP, "rtmp": TCP, "srt": UDP, "hls": TCP, "webrtc": TCP, "api": TCP, "gateway": TCP,
}

// MaxSeedSize bounds a seed file (the recorders stop recording past it).
const MaxSeedSize = 64 << 10

// Seed is one recorded client session: what the client sent, as the
// writes (TCP) or datagrams (UDP) it was sent in.
type Seed struct {
	// Name is the file name without the extension: PROTO-CLIENT-WHAT.
	Name string
	// Proto is the listener it was recorded against (a key of Protocols).
	Proto string
	// Chunks are the client's writes or datagrams, in order.
	Chunks [][]byte
}

// Size is the number of payload bytes.
func (s Seed) Size() int {
	n := 0
	for _, c := range s.Chunks {
		n += len(c)
	}
	return n
}

// Clone copies the seed deeply.
func (s Seed) Clone() Seed {
	out := Seed{Name: s.Name, Proto: s.Proto, Chunks: make([][]byte, len(s.Chunks))}
	for i, c := range s.Chunks {
		out.Chunks[i] = bytes.Clone(c)
	}
	return out
}

// seedMagic starts every seed file; then each chunk is a 4-byte big-endian
// length and the bytes.
var seedMagic = []byte("NFZ1")

// Ext is the seed files' extension.
const Ext = ".nfz"

// Marshal encodes the seed's chunks.
func (s Seed) Marshal() []byte {
	out := bytes.Clone(seedMagic)
	for _, c := range s.Chunks {
		out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
	}
	return out
}

// Unmarshal decodes a seed file's content.
func Unmarshal(name string, b []byte) (Seed, error) {
	s := Seed{Name: name}
	proto, _, _ := strings.Cut(name, "-")
	if _, ok := Protocols[proto]; !ok {
		return s, fmt.Errorf("netfuzz: seed %s: unknown protocol %q (file names start with one of rtsp-, rtmp-, srt-, hls-, webrtc-, api-, gateway-)", name, proto)
	}
	s.Proto = proto
	if !bytes.HasPrefix(b, seedMagic) {
		return s, fmt.Errorf("netfuzz: seed %s: not a seed file", name)
	}
	b = b[len(seedMagic):]
	for len(b) > 0 {
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			return s, fmt.Errorf("netfuzz: seed %s: truncated", name)
		}
		n := int(binary.BigEndian.Uint32(b))
		s.Chunks = append(s.Chunks, bytes.Clone(b[4:4+n]))
		b = b[4+n:]
	}
	return s, nil
}

// Load reads every seed file in dir, sorted by name.
func Load(dir string) ([]Seed, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*"+Ext))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var seeds []Seed
	for _, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		s, err := Unmarshal(strings.TrimSuffix(filepath.Base(p), Ext), b)
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, s)
	}
	if len(seeds) == 0 {
		return nil, errors.New("netfuzz: no seeds in " + dir)
	}
	return seeds, nil
}

// Save writes the seed as dir/NAME.nfz.
func (s Seed) Save(dir string) error {
	return os.WriteFile(filepath.Join(dir, s.Name+Ext), s.Marshal(), 0o644)
}
