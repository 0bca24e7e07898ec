// Package conns is the registry of every listener's live connections and
// sessions, for the control API's /v3/<kind>/list|get|kick endpoints
// (MediaMTX's shapes). A listener adds an entry when a connection or
// session starts, with a function describing it now and one ending it, and
// removes it when it ends. The registry holds no credentials: descriptions
// carry the user name and the backend that recognised it, and queries
// with their credentials masked (Query).
package conns

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamgate/streamgate/internal/redact"
)

// Kind is the API name of a list: rtspconns, rtspsessions, rtspsconns,
// rtspssessions, rtmpconns, rtmpsconns, srtconns, webrtcsessions.
type Kind string

// The kinds MediaMTX's API lists (HLS muxers are the HLS listener's, not
// entries).
const (
	RTSPConns      Kind = "rtspconns"
	RTSPSessions   Kind = "rtspsessions"
	RTSPSConns     Kind = "rtspsconns"
	RTSPSSessions  Kind = "rtspssessions"
	RTMPConns      Kind = "rtmpconns"
	RTMPSConns     Kind = "rtmpsconns"
	SRTConns       Kind = "srtconns"
	WebRTCSessions Kind = "webrtcsessions"
	// HLSSessions are HLS viewers (user × client address × stream) as the
	// HLS listener follows them for the hooks.
	HLSSessions Kind = "hlssessions"
)

// Kickable reports whether MediaMTX's API has /v3/<kind>/kick/{id}
// (RTSP connections are not kicked; their sessions are).
func (k Kind) Kickable() bool {
	return k != RTSPConns && k != RTSPSConns
}

// Registry holds the live entries by ID. The zero value is not usable; a
// nil *Registry accepts Add and does nothing (listeners without the API).
type Registry struct {
	mu   sync.Mutex
	byID map[string]*entry
}

type entry struct {
	kind     Kind
	created  time.Time
	describe func() any
	kick     func()
}

// New makes an empty registry.
func New() *Registry { return &Registry{byID: map[string]*entry{}} }

// Add registers the entry id of kind: describe returns its API item now,
// kick ends it (it must return at once; the entry is expected to leave
// within a second). It returns the function that removes the entry.
func (r *Registry) Add(kind Kind, id string, describe func() any, kick func()) (remove func()) {
	if r == nil {
		return func() {}
	}
	e := &entry{kind: kind, created: time.Now(), describe: describe, kick: kick}
	r.mu.Lock()
	r.byID[id] = e
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		if r.byID[id] == e {
			delete(r.byID, id)
		}
		r.mu.Unlock()
	}
}

// List describes every entry of kind, oldest first.
func (r *Registry) List(kind Kind) []any {
	r.mu.Lock()
	var es []*entry
	for _, e := range r.byID {
		if e.kind == kind {
			es = append(es, e)
		}
	}
	r.mu.Unlock()
	slices.SortFunc(es, func(a, b *entry) int { return a.created.Compare(b.created) })
	out := make([]any, 0, len(es))
	for _, e := range es {
		out = append(out, e.describe())
	}
	return out
}

func (r *Registry) find(kind Kind, id string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.byID[id]; e != nil && e.kind == kind {
		return e
	}
	return nil
}

// Get describes the entry id of kind; false when there is none.
func (r *Registry) Get(kind Kind, id string) (any, bool) {
	e := r.find(kind, id)
	if e == nil {
		return nil, false
	}
	return e.describe(), true
}

// Kick ends the entry id of kind; false when there is none.
func (r *Registry) Kick(kind Kind, id string) bool {
	e := r.find(kind, id)
	if e == nil || e.kick == nil {
		return false
	}
	e.kick()
	return true
}

// Query is a request's query string as the API shows it: every value
// masked (any parameter may carry a token: token, jwt, pass, a custom
// one), the keys kept.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	const head = "q://h?"
	return strings.TrimPrefix(redact.URL(head+raw), head)
}
