package daemon

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/source"
)

func sourcesYAML(t *testing.T, paths string) *config.Conf {
	t.Helper()
	c, err := config.Parse("s.yml", []byte("rtsp: no\nrtmp: no\nhls: no\nwebrtc: no\nsrt: no\napi: no\nmetrics: no\npaths:\n"+paths), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func udpPort(t *testing.T) int {
	t.Helper()
	return testharness.FreeUDPPort(t)
}

// A reload keeps an unchanged source running (the same runner), restarts
// a changed one and stops a removed one.
func TestReloadSources(t *testing.T) {
	p1, p2 := udpPort(t), udpPort(t)
	cam := func(port int) string { return fmt.Sprintf("  cam:\n    source: udp+mpegts://127.0.0.1:%d\n", port) }
	other := "  other:\n    source: rtsp://u:p@127.0.0.1:1/x\n    sourceOnDemand: yes\n"
	d, err := New(sourcesYAML(t, cam(p1)+other), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Shutdown(t.Context()) }()
	first, onDemand := d.sources["cam"].runner, d.sources["other"].runner
	if first.State() == source.StateIdle || onDemand.State() != source.StateIdle {
		t.Fatalf("states after start: cam %s (want running), other %s (want idle: on demand)", first.State(), onDemand.State())
	}
	if err := d.Reload(sourcesYAML(t, cam(p1)+other+"  added: {}\n")); err != nil {
		t.Fatal(err)
	}
	if d.sources["cam"].runner != first || d.sources["other"].runner != onDemand {
		t.Fatal("an unchanged source was restarted by a reload")
	}
	if err := d.Reload(sourcesYAML(t, cam(p2))); err != nil {
		t.Fatal(err)
	}
	if d.sources["cam"].runner == first || first.State() != source.StateIdle {
		t.Fatalf("a changed source was not restarted (old one %s)", first.State())
	}
	if d.sources["other"] != nil {
		t.Fatal("a removed source is still there")
	}
	if got := d.hub.SourceStates(); len(got) != 1 || got["cam"] == "" {
		t.Fatalf("SourceStates: %v", got)
	}
}

// A whep(s):// source gets the WebRTC listener's ICE servers and
// handshake timeouts (webrtcICEServers2, webrtcHandshakeTimeout, …); other
// sources do not.
func TestSourceOptionsWebRTC(t *testing.T) {
	c, err := config.Parse("s.yml", []byte("webrtcHandshakeTimeout: 3s\nwebrtcTrackGatherTimeout: 1s\nwebrtcSTUNGatherTimeout: 4s\n"+
		"webrtcICEServers2:\n- url: stun:127.0.0.1:3478\n- {url: turn:127.0.0.1:3478, username: u, password: p}\n"+
		"paths:\n  cam:\n    source: whep://127.0.0.1:1/cam/whep\n  other:\n    source: rtsp://127.0.0.1:1/x\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _, ok := sourceOptions(c, &c.Paths.List[0])
	if !ok {
		t.Fatal("no source options")
	}
	w := o.WebRTC
	if w.HandshakeTimeout != 3*time.Second || w.TrackGatherTimeout != time.Second || w.STUNGatherTimeout != 4*time.Second ||
		len(w.ICEServers) != 2 || w.ICEServers[1].Username != "u" || w.ICEServers[1].Password != "p" {
		t.Errorf("WebRTC options %+v", w)
	}
	// Not for other sources: a change of the WebRTC keys does not restart them.
	if o, _, _ := sourceOptions(c, &c.Paths.List[1]); len(o.WebRTC.ICEServers) != 0 || o.WebRTC.HandshakeTimeout != 0 {
		t.Errorf("an rtsp source got WebRTC options %+v", o.WebRTC)
	}
}
