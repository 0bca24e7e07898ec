package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// webrtcICEServers2 and the WebRTC timeouts load with MediaMTX's field
// names; a bad URL or a TURN server without credentials is refused at its
// line; the password never shows in the config API.
func TestWebRTCICEServers(t *testing.T) {
	c := mustParse(t, "webrtcICEServers2:\n- url: stun:127.0.0.1:3478\n- url: turn:127.0.0.1:3478\n  username: AUTH_SECRET\n"+
		"  password: sharedsecret\n  clientOnly: yes\nwebrtcHandshakeTimeout: 3s\nwebrtcTrackGatherTimeout: 1s\n"+
		"webrtcSTUNGatherTimeout: 2s\nwebrtcIPsFromInterfacesList: [lo]\n")
	s := c.WebRTCICEServers2
	if len(s) != 2 || s[1].URL != "turn:127.0.0.1:3478" || s[1].Username != "AUTH_SECRET" || s[1].Password != "sharedsecret" || !s[1].ClientOnly {
		t.Errorf("ICE servers %+v", s)
	}
	if c.WebRTCHandshakeTimeout != 3*time.Second || c.WebRTCTrackGatherTimeout != time.Second ||
		c.WebRTCSTUNGatherTimeout != 2*time.Second || len(c.WebRTCIPsFromInterfacesList) != 1 {
		t.Errorf("timeouts %v %v %v, interfaces %v", c.WebRTCHandshakeTimeout, c.WebRTCTrackGatherTimeout,
			c.WebRTCSTUNGatherTimeout, c.WebRTCIPsFromInterfacesList)
	}
	if red := c.Redacted(); strings.Contains(fmt.Sprint(red["webrtcICEServers2"]), "sharedsecret") {
		t.Error("the TURN secret shows in the config API")
	}
	d := mustParse(t, "")
	if d.WebRTCHandshakeTimeout != 10*time.Second || d.WebRTCTrackGatherTimeout != 2*time.Second || d.WebRTCSTUNGatherTimeout != 5*time.Second {
		t.Errorf("defaults %v %v %v", d.WebRTCHandshakeTimeout, d.WebRTCTrackGatherTimeout, d.WebRTCSTUNGatherTimeout)
	}
	wantError(t, "webrtcICEServers2:\n- url: http://x\n", "m.yml:2: webrtcICEServers2[0].url: must be stun:, stuns:, turn: or turns:HOST[:PORT]")
	wantError(t, "webrtcICEServers2:\n- url: turn:x:3478\n", "m.yml:2: webrtcICEServers2[0].username: a TURN server needs a username and a password")
	wantError(t, "webrtcHandshakeTimeout: 0s\n", "m.yml:1: webrtcHandshakeTimeout: must be > 0")
}
