package webrtc

import (
	"context"
	"net/http"
	"time"

	"github.com/pion/webrtc/v4"
)

// The steps a WHEP session and a WHIP publisher share in answering an
// offer: each adds its own tracks or counts its receivers in between.

// setOffer sets a client's SDP offer as pc's remote description (400 when
// it is invalid).
func setOffer(pc *webrtc.PeerConnection, offer string) error {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return refuse(http.StatusBadRequest, "invalid offer: %v", err)
	}
	return nil
}

// setAnswer creates pc's answer and sets it as the local description,
// which starts ICE gathering; the channel closes when gathering completes.
func setAnswer(pc *webrtc.PeerConnection) (gathered <-chan struct{}, err error) {
	gathered = webrtc.GatheringCompletePromise(pc)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "cannot answer the offer: %v", err)
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		return nil, refuse(http.StatusBadRequest, "cannot answer the offer: %v", err)
	}
	return gathered, nil
}

// gatheredAnswer waits for ICE gathering (at most timeout: then the answer
// has the candidates there are) and returns pc's answer completed for
// offer, with all our candidates (no trickle from our side).
func gatheredAnswer(ctx context.Context, pc *webrtc.PeerConnection, offer string, gathered <-chan struct{}, timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return completeAnswer(pc.LocalDescription().SDP, offer), nil
}
