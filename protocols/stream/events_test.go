package stream_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/streamgate/streamgate/protocols/stream"
)

// recorder is an Events that notes every start and end.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) note(s string) func() {
	r.mu.Lock()
	r.log = append(r.log, "+"+s)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.log = append(r.log, "-"+s)
		r.mu.Unlock()
	}
}

func (r *recorder) Ready(p *stream.Publication) func() { return r.note("ready " + p.Source.Type) }
func (r *recorder) Read(_ *stream.Publication, x stream.ReaderInfo) func() {
	return r.note("read " + x.Type + " " + x.ID)
}
func (r *recorder) Connect(c stream.ConnInfo) func() { return r.note("conn " + c.ID) }

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// Every start is ended once: a reader by RemoveReader or by the end of the
// stream, a watcher by its end function or the end of the stream, the
// stream by Close; a reader added twice is one reader; a refused reader
// starts nothing; a connection's end is told once.
func TestEvents(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {maxReaders: 2}\n")
	rec := &recorder{}
	h.SetEvents(rec)
	p := mustPublish(t, h, "cam", stream.SourceInfo{Type: "rtmpConn"})
	if err := p.AddReaderAs("a", stream.ReaderInfo{Type: "rtspSession", ID: "a"}); err != nil {
		t.Fatal(err)
	}
	_ = p.AddReaderAs("a", stream.ReaderInfo{Type: "rtspSession", ID: "a"})
	if err := p.AddReaderAs("b", stream.ReaderInfo{Type: "srtConn", ID: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := p.AddReaderAs("c", stream.ReaderInfo{Type: "srtConn", ID: "c"}); err == nil {
		t.Fatal("a reader past maxReaders was added")
	}
	w := p.Watch(stream.ReaderInfo{Type: "hlsSession", ID: "w"})
	w2 := p.Watch(stream.ReaderInfo{Type: "hlsSession", ID: "w2"})
	p.RemoveReader("a")
	w()
	w()
	end := h.Connected(stream.ConnInfo{ID: "k"})
	end()
	end()
	p.Close()
	w2()
	p.RemoveReader("b")
	want := []string{"+ready rtmpConn", "+read rtspSession a", "+read srtConn b", "+read hlsSession w", "+read hlsSession w2",
		"-read rtspSession a", "-read hlsSession w", "+conn k", "-conn k"}
	got := rec.got()
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("events %q,\nwant first %q", got, want)
	}
	rest := got[len(want):]
	slices.Sort(rest[:2])
	if !slices.Equal(rest, []string{"-read hlsSession w2", "-read srtConn b", "-ready rtmpConn"}) {
		t.Fatalf("at Close: %q", rest)
	}
	// After the end nothing starts.
	p.Watch(stream.ReaderInfo{Type: "hlsSession", ID: "late"})()
	if n := len(rec.got()); n != len(want)+3 {
		t.Fatalf("a watcher after the end: %q", rec.got())
	}
}
