package stream

import "sync"

// ReaderInfo describes a reader to Events, with MediaMTX's names.
type ReaderInfo struct {
	// Type is MediaMTX's reader type: rtspSession, rtspsSession, rtmpConn,
	// rtmpsConn, srtConn, webRTCSession, hlsSession.
	Type string
	// ID identifies the reader (a UUID).
	ID string
	// Query is the raw query the reader asked with (credentials included:
	// Events takes them out).
	Query string
}

// ConnInfo describes an authenticated connection to Events.
type ConnInfo struct {
	// Type is MediaMTX's connection type: rtspConn, rtspsConn, rtmpConn,
	// rtmpsConn, srtConn, webRTCSession, hlsSession.
	Type string
	// ID identifies the connection (a UUID).
	ID string
}

// Events are told what starts and ends: a path's stream (Ready), a reader
// (Read), an authenticated connection (Connect). Each returns the function
// that tells the end; the hub calls it once. internal/daemon runs the
// runOn… hooks from them. Calls happen after authorization: nothing that a
// client did not authenticate for reaches Events.
type Events interface {
	Ready(p *Publication) (end func())
	Read(p *Publication, r ReaderInfo) (end func())
	Connect(c ConnInfo) (end func())
}

// SetEvents sets what the hub tells (nil: nothing).
func (h *Hub) SetEvents(e Events) {
	h.mu.Lock()
	h.events = e
	h.mu.Unlock()
}

func (h *Hub) eventsNow() Events {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events
}

// Connected tells Events that an authenticated connection opened; the
// listener calls the returned function, once, when it closes.
func (h *Hub) Connected(c ConnInfo) (end func()) {
	e := h.eventsNow()
	if e == nil {
		return func() {}
	}
	return onceFn(e.Connect(c))
}

// AddReaderAs is AddReader for a reader Events hears of (runOnRead): its
// end is told at RemoveReader, or when the publication ends.
func (p *Publication) AddReaderAs(r any, info ReaderInfo) error {
	if err := p.AddReader(r); err != nil {
		return err
	}
	p.watch(r, info)
	return nil
}

// Watch tells Events of a reader that is not counted against maxReaders
// (an HLS client, served by the path's one muxer); the returned function
// tells its end (it is told when the publication ends otherwise).
func (p *Publication) Watch(info ReaderInfo) (end func()) {
	key := new(int)
	p.watch(key, info)
	return func() { p.unwatch(key) }
}

func (p *Publication) watch(key any, info ReaderInfo) {
	e := p.hub.eventsNow()
	if e == nil {
		return
	}
	p.mu.Lock()
	_, known := p.reads[key]
	closed := p.closed
	p.mu.Unlock()
	if known || closed {
		return // a reader added twice (a second PLAY) is one reader
	}
	end := onceFn(e.Read(p, info))
	p.mu.Lock()
	if _, known := p.reads[key]; p.closed || known {
		p.mu.Unlock()
		end()
		return
	}
	p.reads[key] = end
	p.mu.Unlock()
}

func (p *Publication) unwatch(key any) {
	p.mu.Lock()
	end := p.reads[key]
	delete(p.reads, key)
	p.mu.Unlock()
	if end != nil {
		end()
	}
}

// setReadyEnd keeps the end of Events' Ready, or calls it when the
// publication ended meanwhile.
func (p *Publication) setReadyEnd(end func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		end()
		return
	}
	p.readyEnd = end
	p.mu.Unlock()
}

// endEvents tells the end of every reader left, then of the stream.
func (p *Publication) endEvents() {
	p.mu.Lock()
	reads, ready := p.reads, p.readyEnd
	p.reads, p.readyEnd = map[any]func(){}, nil
	p.mu.Unlock()
	for _, end := range reads {
		end()
	}
	if ready != nil {
		ready()
	}
}

func onceFn(fn func()) func() {
	if fn == nil {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(fn) }
}
