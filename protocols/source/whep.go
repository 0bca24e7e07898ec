package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
	sgwebrtc "github.com/streamgate/streamgate/protocols/webrtc"
)

// maxAnswerSize bounds the WHEP server's SDP answer.
const maxAnswerSize = 64 << 10

var errWHEPNoTrack = errors.New("source: the WHEP server sent no H264, H265, VP8, VP9, AV1 or Opus track")

// runWHEP reads a WHEP server (whep:// is http, wheps:// https; URL
// credentials go as Basic): a receive-only offer for one video and one
// audio track, then H.264, H.265, VP8, VP9, AV1 and Opus are published.
func runWHEP(ctx context.Context, s *session) error {
	o := s.r.opts
	u, err := url.Parse(o.URL)
	if err != nil {
		return err
	}
	u.Scheme = map[string]string{"whep": "http", "wheps": "https"}[strings.ToLower(u.Scheme)]
	var user, pass string
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	hc := &http.Client{Timeout: o.ReadTimeout, Transport: &http.Transport{TLSClientConfig: tlsConfig(o.Fingerprint)}}
	w := o.WebRTC.withDefaults()
	pc, err := newWHEPPeer(w)
	if err != nil {
		return err
	}
	defer pc.Close()
	tracks := make(chan *webrtc.TrackRemote, 2)
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { tracks <- t })
	failed := make(chan struct{})
	connected := make(chan struct{})
	var failOnce, connOnce sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() { close(connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed, webrtc.PeerConnectionStateDisconnected:
			failOnce.Do(func() { close(failed) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	hs := time.NewTimer(w.HandshakeTimeout)
	defer hs.Stop()
	select {
	case <-gathered:
	case <-hs.C: // offer the candidates there are
	case <-ctx.Done():
		return ctx.Err()
	}
	answer, location, err := whepPost(ctx, hc, u, user, pass, pc.LocalDescription().SDP)
	if err != nil {
		return err
	}
	defer whepDelete(hc, u, location, user, pass)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return err
	}
	want := strings.Count(answer, "a=sendonly") + strings.Count(answer, "a=sendrecv")
	var got []*webrtc.TrackRemote
	// ICE and DTLS within HandshakeTimeout (from the answer), the tracks
	// within TrackGatherTimeout more.
	hs.Reset(w.HandshakeTimeout)
	var tg <-chan time.Time
	up := connected // nil once connected
gather:
	for len(got) < want {
		select {
		case t := <-tracks:
			got = append(got, t)
		case <-up:
			up = nil
			hs.Stop()
			timer := time.NewTimer(w.TrackGatherTimeout)
			defer timer.Stop()
			tg = timer.C
		case <-hs.C:
			return errors.New("source: the WebRTC handshake timed out")
		case <-tg:
			break gather
		case <-failed:
			return errors.New("source: the WebRTC connection failed")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	desc, routes := trackMedias(got, whepFormat)
	if len(routes) == 0 {
		return errWHEPNoTrack
	}
	p, err := s.publish(desc)
	if err != nil {
		return err
	}
	// A reader joining asks the WHEP server for a keyframe (which a
	// streamgate passes on to its WHIP publisher).
	var pli []rtcp.Packet
	for _, rt := range routes {
		if rt.m.Type == description.MediaTypeVideo {
			pli = append(pli, &rtcp.PictureLossIndication{MediaSSRC: uint32(rt.t.SSRC())})
		}
	}
	if len(pli) > 0 {
		p.SetKeyframeRequester(func() { _ = pc.WriteRTCP(pli) })
	}
	errs := make(chan error, len(routes))
	for _, rt := range routes {
		go func() { errs <- whepRead(s, rt.t, rt.m, p) }()
	}
	select {
	case err := <-errs:
		return err
	case <-failed:
		return errors.New("source: the WebRTC connection was lost")
	case <-ctx.Done():
		return nil
	}
}

// whepFormat is the format and media type of a track a WHEP server sends;
// nil for a codec the source does not publish.
func whepFormat(t *webrtc.TrackRemote) (format.Format, description.MediaType) {
	switch strings.ToLower(t.Codec().MimeType) {
	case strings.ToLower(webrtc.MimeTypeH264):
		return &format.H264{PayloadTyp: 96, PacketizationMode: 1}, description.MediaTypeVideo
	case strings.ToLower(webrtc.MimeTypeH265):
		return &format.H265{PayloadTyp: 96}, description.MediaTypeVideo
	case strings.ToLower(webrtc.MimeTypeVP8):
		return &format.VP8{PayloadTyp: 96}, description.MediaTypeVideo
	case strings.ToLower(webrtc.MimeTypeVP9):
		return &format.VP9{PayloadTyp: 96}, description.MediaTypeVideo
	case strings.ToLower(webrtc.MimeTypeAV1):
		return &format.AV1{PayloadTyp: 96}, description.MediaTypeVideo
	case strings.ToLower(webrtc.MimeTypeOpus):
		return &format.Opus{PayloadTyp: 96, ChannelCount: 2}, description.MediaTypeAudio
	}
	return nil, ""
}

// withDefaults fills the timeouts left zero (the listener's defaults).
func (w WebRTCOptions) withDefaults() WebRTCOptions {
	if w.HandshakeTimeout <= 0 {
		w.HandshakeTimeout = 10 * time.Second
	}
	if w.TrackGatherTimeout <= 0 {
		w.TrackGatherTimeout = 2 * time.Second
	}
	if w.STUNGatherTimeout <= 0 {
		w.STUNGatherTimeout = 5 * time.Second
	}
	return w
}

// peerConfig is the configuration of a whep(s):// source's peer
// connection: the ICE servers, with fresh TURN credentials.
func (w WebRTCOptions) peerConfig() webrtc.Configuration {
	return webrtc.Configuration{ICEServers: sgwebrtc.PeerICEServers(w.ICEServers, false, time.Now())}
}

// newWHEPPeer is a receive-only peer connection (host candidates, loopback
// included, no mDNS; server-reflexive and relay ones from w's ICE servers).
func newWHEPPeer(w WebRTCOptions) (*webrtc.PeerConnection, error) {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetSTUNGatherTimeout(w.STUNGatherTimeout)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(w.peerConfig())
	if err != nil {
		return nil, err
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			_ = pc.Close()
			return nil, err
		}
	}
	return pc, nil
}

// whepRead publishes one track's packets: decoded units, PTS from the RTP
// timestamps (unwrapped, from 0 at the first packet).
func whepRead(s *session, t *webrtc.TrackRemote, m *description.Media, p *stream.Publication) (err error) {
	defer panics.Recover(s.r.logger, "source", func() { err = errPanicked })
	f := m.Formats[0]
	decode := stream.RTPDecoder(f)
	var first bool
	var prev uint32
	var pts int64
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return err
		}
		if !first {
			first, prev = true, pkt.Timestamp
		}
		pts += int64(int32(pkt.Timestamp - prev))
		prev = pkt.Timestamp
		au, err := decode(pkt)
		if err != nil || au == nil {
			continue
		}
		p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: pts, AU: au})
	}
}

// whepPost sends the offer and returns the answer and the session's URL.
func whepPost(ctx context.Context, hc *http.Client, u *url.URL, user, pass, offer string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewBufferString(offer))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := hc.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerSize))
	if err != nil {
		return "", "", err
	}
	if res.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("source: WHEP server answered %d", res.StatusCode)
	}
	return string(body), res.Header.Get("Location"), nil
}

// whepDelete ends the session on the server (best effort).
func whepDelete(hc *http.Client, base *url.URL, location, user, pass string) {
	if location == "" {
		return
	}
	ref, err := url.Parse(location)
	if err != nil {
		return
	}
	req, err := http.NewRequest(http.MethodDelete, base.ResolveReference(ref).String(), nil)
	if err != nil {
		return
	}
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	if res, err := hc.Do(req); err == nil {
		res.Body.Close()
	}
}
