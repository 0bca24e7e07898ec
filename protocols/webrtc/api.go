package webrtc

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// sessionAPI is a session's state for the control API
// (/v3/webrtcsessions). Its ID is not the session URL's secret.
type sessionAPI struct {
	id        string
	created   time.Time
	remote    string
	query     string
	userAgent string
	who       conns.Who
	unreg     func()

	// pcMu keeps GetStats and Close apart (pion races on them); closed:
	// the peer connection is closing, no more statistics.
	pcMu   sync.Mutex
	closed bool
}

// closing marks the peer connection closing; once it returns no GetStats
// runs.
func (a *sessionAPI) closing() {
	a.pcMu.Lock()
	a.closed = true
	a.pcMu.Unlock()
}

// kickReason is why a session kicked through the control API ends.
const kickReason = "kicked through the control API"

// register lists sess in the control API until it is released.
func (s *Server) register(sess *session, id *authn.Identity, r *http.Request) {
	a := &sess.api
	a.id, a.created, a.remote = sess.uuid, time.Now(), r.RemoteAddr // the ID hooks see (MTX_CONN_ID)
	a.query, a.userAgent = conns.Query(r.URL.RawQuery), r.UserAgent()
	a.who = conns.Who{User: id.User, AuthBackend: id.Backend}
	a.unreg = s.cfg.Conns.Add(conns.WebRTCSessions, a.id, sess.describe, func() { sess.stop(kickReason) })
}

func (a *sessionAPI) leave() {
	if a.unreg != nil {
		a.unreg()
	}
}

func (s *session) describe() any {
	a := &s.api
	item := conns.WebRTCSession{Entry: conns.Entry{ID: a.id, Created: a.created, RemoteAddr: a.remote}, State: "read", Path: s.path,
		Query: a.query, UserAgent: a.userAgent, Who: a.who}
	select {
	case <-s.connected:
		item.PeerConnectionEstablished = true
	default:
	}
	if s.pc == nil {
		return item
	}
	a.pcMu.Lock()
	defer a.pcMu.Unlock()
	if a.closed {
		return item
	}
	var in, out uint64
	cands := map[string]webrtc.ICECandidateStats{}
	var pair *webrtc.ICECandidatePairStats
	for _, st := range s.pc.GetStats() {
		switch x := st.(type) {
		case webrtc.TransportStats:
			in += x.BytesReceived
			out += x.BytesSent
		case webrtc.OutboundRTPStreamStats:
			item.OutboundRTPPackets += uint64(x.PacketsSent)
		case webrtc.RemoteInboundRTPStreamStats:
			item.OutboundRTPPacketsReportedLost += uint64(max(x.PacketsLost, 0))
		case webrtc.ICECandidateStats:
			cands[x.ID] = x
		case webrtc.ICECandidatePairStats:
			if x.Nominated {
				p := x
				pair = &p
			}
		}
	}
	item.Bytes = conns.MakeBytes(in, out)
	item.RTPPacketsSent = item.OutboundRTPPackets
	if pair != nil {
		item.LocalCandidate = candidate(cands[pair.LocalCandidateID])
		item.RemoteCandidate = candidate(cands[pair.RemoteCandidateID])
	}
	return item
}

// candidate shows an ICE candidate as MediaMTX does: type/protocol/ip/port.
func candidate(c webrtc.ICECandidateStats) string {
	if c.ID == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/%d", c.CandidateType, c.Protocol, c.IP, c.Port)
}
