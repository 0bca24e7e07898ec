package conns_test

import (
	"testing"

	"github.com/streamgate/streamgate/protocols/conns"
)

// KickUser ends the user's entries of every kickable kind, and nothing
// else: not another user's, not an anonymous one, not an RTSP connection
// (its session is the one kicked).
func TestKickUser(t *testing.T) {
	r := conns.New()
	kicked := map[string]bool{}
	add := func(kind conns.Kind, id string, item any) {
		r.Add(kind, id, func() any { return item }, func() { kicked[id] = true })
	}
	add(conns.RTSPSessions, "rtsp", conns.RTSPSession{Who: conns.Who{User: "alice"}})
	add(conns.RTSPConns, "rtspconn", &conns.RTSPConn{Who: conns.Who{User: "alice"}})
	add(conns.RTMPConns, "rtmp", &conns.RTMPConn{Who: conns.Who{User: "alice"}})
	add(conns.SRTConns, "srt", conns.SRTConn{Who: conns.Who{User: "bob"}})
	add(conns.WebRTCSessions, "webrtc", conns.WebRTCSession{Who: conns.Who{User: "alice"}})
	add(conns.HLSSessions, "hls", conns.HLSSession{Who: conns.Who{User: "alice"}})
	add(conns.HLSSessions, "anon", conns.HLSSession{})
	n := r.KickUser(func(u string) bool { return u == "alice" || u == "" })
	want := map[string]bool{"rtsp": true, "rtmp": true, "webrtc": true, "hls": true}
	if n != len(want) || len(kicked) != len(want) {
		t.Fatalf("kicked %d %v, want %v", n, kicked, want)
	}
	for id := range want {
		if !kicked[id] {
			t.Fatalf("%s not kicked (kicked %v)", id, kicked)
		}
	}
}
