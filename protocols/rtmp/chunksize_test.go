package rtmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

// preAuthInput is a plain handshake, then SetChunkSize(size) and the
// 12-byte header of a command message that claims bodyLen bytes, of which
// none follow: what a client sends to make the server allocate.
func preAuthInput(size, bodyLen uint32) []byte {
	in := make([]byte, 1+1536+1536)
	in[0] = 3
	in = append(in, 0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0) // csid 2, type 0, length 4, SetChunkSize
	in = binary.BigEndian.AppendUint32(in, size)
	in = append(in, 0x03, 0, 0, 0, byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen), 20, 0, 0, 0, 0)
	return in
}

// Before authentication a client may not raise the chunk size past
// maxPreAuthChunkSize: a 30-byte SetChunkSize and chunk header made the
// server allocate (and, on reused memory, zero) the announced 10 MiB
// chunk for every connection, held until the read timeout — 50
// connections took the daemon from 38 MB to 470 MB resident. accept now
// refuses the SetChunkSize, and allocates about what it was sent.
func TestPreAuthChunkSizeAllocation(t *testing.T) {
	in := preAuthInput(10<<20, 10<<20-1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := accept(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in), io.Discard})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("accept succeeded on a truncated command")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("accept allocated %d bytes for %d bytes of input", got, len(in))
	}
	if !errors.Is(err, errPreAuthChunkSize) {
		t.Errorf("accept: %v, want errPreAuthChunkSize", err)
	}

	// Up to the limit it is accepted (and the truncated command then ends
	// the connection).
	_, err = accept(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(preAuthInput(maxPreAuthChunkSize, 100)), io.Discard})
	if err == nil || errors.Is(err, errPreAuthChunkSize) {
		t.Errorf("accept with a chunk size of %d: %v, want another error", maxPreAuthChunkSize, err)
	}
}
