package hls

import (
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/stream"
)

// HLS is stateless per request; for the hooks (runOnConnect, runOnRead) a
// viewer is an hlsSession: the requests of one authenticated user from one
// client address for one path's stream. It starts at the first playlist,
// segment or part request that was authorized, and ends when no such
// request came for SessionCloseAfter, or when the stream ends.
const (
	// SessionCloseAfter ends an HLS session without requests (MediaMTX:
	// 30 s).
	SessionCloseAfter = 30 * time.Second
	// MaxSessions bounds the HLS sessions a listener follows; a viewer past
	// it is served but starts no hook.
	MaxSessions = 4096
)

type sessionKey struct {
	pub  *stream.Publication
	user string
	ip   netip.Addr
}

type hlsSession struct {
	last atomic.Int64 // unix nanoseconds
	end  func()
}

// sessions are the HLS sessions of a listener.
type sessions struct {
	hub *stream.Hub

	mu      sync.Mutex
	live    map[sessionKey]*hlsSession
	running bool // the sweeper runs
}

// seen records an authorized request of id from ip for p's stream.
func (ss *sessions) seen(s *Server, p *stream.Publication, who *authn.Identity, ip netip.Addr, r *http.Request) {
	k := sessionKey{p, who.User, ip}
	query := r.URL.RawQuery
	now := time.Now().UnixNano()
	ss.mu.Lock()
	if x, ok := ss.live[k]; ok {
		x.last.Store(now)
		ss.mu.Unlock()
		return
	}
	if len(ss.live) >= MaxSessions {
		ss.mu.Unlock()
		return
	}
	x := &hlsSession{}
	x.last.Store(now)
	ss.live[k] = x
	if !ss.running {
		ss.running = true
		go ss.sweep(s)
	}
	ss.mu.Unlock()
	id := uuid.NewString()
	disconnect := ss.hub.Connected(stream.ConnInfo{Type: "hlsSession", ID: id})
	unread := p.Watch(stream.ReaderInfo{Type: "hlsSession", ID: id, Query: query})
	unlist := s.cfg.Conns.Add(conns.HLSSessions, id, describeSession(id, p.Name, who, ip, r),
		func() { ss.endWhere(func(_ sessionKey, y *hlsSession) bool { return y == x }) })
	end := func() {
		unread()
		disconnect()
		unlist()
	}
	ss.mu.Lock()
	if ss.live[k] != x { // ended meanwhile
		ss.mu.Unlock()
		end()
		return
	}
	x.end = end
	ss.mu.Unlock()
}

// sweep ends idle sessions and those whose stream ended, until none is left.
func (ss *sessions) sweep(s *Server) {
	defer panics.Recover(s.cfg.Logger, "hls", nil)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range tick.C {
		if !ss.endWhere(func(k sessionKey, x *hlsSession) bool {
			return time.Since(time.Unix(0, x.last.Load())) >= SessionCloseAfter || isDone(k.pub)
		}) {
			return
		}
	}
}

// endWhere ends the sessions cond picks; it reports whether any is left
// (false stops the sweeper).
func (ss *sessions) endWhere(cond func(sessionKey, *hlsSession) bool) bool {
	var ended []func()
	ss.mu.Lock()
	for k, x := range ss.live {
		if cond(k, x) {
			delete(ss.live, k)
			if x.end != nil { // nil: seen ends it
				ended = append(ended, x.end)
			}
		}
	}
	left := len(ss.live) > 0
	if !left {
		ss.running = false
	}
	ss.mu.Unlock()
	for _, end := range ended {
		end()
	}
	return left
}

func isDone(p *stream.Publication) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}
