package testharness

import (
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// LoopbackPeerConnection is a pion peer connection with pion's default
// codecs whose ICE gathers host candidates on IPv4 loopback UDP only (no
// mDNS), so that a test's WebRTC traffic stays on 127.0.0.1. It is closed
// when the test ends.
func LoopbackPeerConnection(t testing.TB, cfg webrtc.Configuration) *webrtc.PeerConnection {
	t.Helper()
	pc, err := NewLoopbackPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// NewLoopbackPeerConnection is LoopbackPeerConnection for a goroutine that
// is not the test's (a WHEP or WHIP server's handler): the caller closes
// the connection.
func NewLoopbackPeerConnection(cfg webrtc.Configuration) (*webrtc.PeerConnection, error) {
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(cfg)
}

// GatheredOffer creates pc's offer, sets it as the local description and
// waits until ICE gathering is complete: pc.LocalDescription() then holds
// every candidate (a non-trickle WHIP or WHEP offer).
func GatheredOffer(t testing.TB, pc *webrtc.PeerConnection) {
	t.Helper()
	<-offer(t, pc)
}

// GatheredOfferWithin is GatheredOffer that fails the test when gathering
// takes longer than timeout (a generous bound: TURN servers to ask).
func GatheredOfferWithin(t testing.TB, pc *webrtc.PeerConnection, timeout time.Duration) {
	t.Helper()
	select {
	case <-offer(t, pc):
	case <-time.After(timeout):
		t.Fatalf("ICE gathering did not complete within %v", timeout)
	}
}

// offer sets pc's offer as its local description; the channel closes when
// ICE gathering completes.
func offer(t testing.TB, pc *webrtc.PeerConnection) <-chan struct{} {
	t.Helper()
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	return gathered
}

// GatheredAnswer is the server side of GatheredOffer, for a test's WHEP or
// WHIP server: it sets offer as pc's remote description, answers it and
// waits until ICE gathering is complete (pc.LocalDescription() is the
// answer to send). It does not fail the test: it runs in a handler.
func GatheredAnswer(pc *webrtc.PeerConnection, offer string) error {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-gathered
	return nil
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

// ForwardPLIs reads sender's RTCP until the connection ends and signals
// plis (without blocking) on each picture loss indication (a keyframe
// request from the peer). Run it in its own goroutine.
func ForwardPLIs(sender *webrtc.RTPSender, plis chan<- struct{}) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.PictureLossIndication); ok {
				select {
				case plis <- struct{}{}:
				default:
				}
			}
		}
	}
}

// SendSamples writes frame(n), n = 0, 1, …, to track every interval until
// stop is closed. Run it in its own goroutine.
func SendSamples(track *webrtc.TrackLocalStaticSample, interval time.Duration, stop <-chan struct{}, frame func(n int) []byte) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-tick.C:
		case <-stop:
			return
		}
		_ = track.WriteSample(media.Sample{Data: frame(n), Duration: interval})
	}
}

// Receive adds a receive-only transceiver of each kind to pc (what a WHEP
// reader offers).
func Receive(t testing.TB, pc *webrtc.PeerConnection, kinds ...webrtc.RTPCodecType) {
	t.Helper()
	for _, kind := range kinds {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
}

// VideoArrives reads every track pc receives until it ends and signals the
// returned channel (without blocking) on each video RTP packet. It takes
// over pc's OnTrack.
func VideoArrives(pc *webrtc.PeerConnection) <-chan struct{} {
	got := make(chan struct{}, 1)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				select {
				case got <- struct{}{}:
				default:
				}
			}
		}
	})
	return got
}
