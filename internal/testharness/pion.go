package testharness

import (
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// LoopbackPeerConnection is a pion peer connection with pion's default
// codecs whose ICE gathers host candidates on IPv4 loopback UDP only (no
// mDNS), so that a test's WebRTC traffic stays on 127.0.0.1. It is closed
// when the test ends.
func LoopbackPeerConnection(t testing.TB, cfg webrtc.Configuration) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// GatheredOffer creates pc's offer, sets it as the local description and
// waits until ICE gathering is complete: pc.LocalDescription() then holds
// every candidate (a non-trickle WHIP or WHEP offer).
func GatheredOffer(t testing.TB, pc *webrtc.PeerConnection) {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
}

// WaitConnected waits up to timeout for pc's connection to be up (state
// connected) and fails the test otherwise. It takes over pc's
// OnConnectionStateChange.
func WaitConnected(t testing.TB, pc *webrtc.PeerConnection, timeout time.Duration) {
	t.Helper()
	states := make(chan webrtc.PeerConnectionState, 16)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		select {
		case states <- s:
		default:
		}
	})
	deadline := time.After(timeout)
	for s := pc.ConnectionState(); s != webrtc.PeerConnectionStateConnected; {
		select {
		case s = <-states:
		case <-deadline:
			t.Fatalf("WebRTC: the connection did not come up (%v)", pc.ConnectionState())
		}
	}
}
