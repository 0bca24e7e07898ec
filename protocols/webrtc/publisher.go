package webrtc

import (
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/google/uuid"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// keyframeInterval is how often a WHIP publisher is asked for a keyframe
// (RTCP PLI) besides the requests of readers joining (any protocol) or
// resyncing: browsers send one only when asked, and the HLS muxer cuts
// segments, and the Savant output's consumers start, at keyframes only.
const keyframeInterval = 2 * time.Second

// maxInboundTracks bounds the tracks one WHIP session may publish.
const maxInboundTracks = 8

// publisher is one WHIP session: a receiving peer connection whose tracks
// become a publication of the hub once ICE and DTLS are up and the tracks
// have arrived (or TrackGatherTimeout has passed).
type publisher struct {
	srv *Server
	*lifecycle
	uuid  string // the session in hooks and logs
	etag  string
	user  string
	query string
	pc    *webrtc.PeerConnection
	offer string
	// expected is how many tracks the answer accepts.
	expected int
	logger   *slog.Logger
	unreg    func() // leaves the control API's list

	mu     sync.Mutex
	tracks []*webrtc.TrackRemote
	arrive chan struct{} // a track arrived (buffered 1)
}

func newPublisher(srv *Server, path, user, query string, logger *slog.Logger) *publisher {
	u := uuid.NewString()
	return &publisher{srv: srv, lifecycle: newLifecycle(path), uuid: u, etag: `"` + uuid.NewString() + `"`, user: user, query: query,
		logger: logger.With("session", u), arrive: make(chan struct{}, 1), unreg: func() {}}
}

func (p *publisher) onState(st webrtc.PeerConnectionState) {
	defer p.recoverTo()
	p.follow(st)
}

func (p *publisher) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	defer p.recoverTo()
	p.mu.Lock()
	if len(p.tracks) < maxInboundTracks {
		p.tracks = append(p.tracks, t)
	}
	p.mu.Unlock()
	select {
	case p.arrive <- struct{}{}:
	default:
	}
}

// run waits for the connection and the tracks, publishes, and feeds the
// publication until the session ends; it releases everything.
func (p *publisher) run(cancelExpiry func()) {
	disconnect := p.srv.hub.Connected(stream.ConnInfo{Type: "webRTCSession", ID: p.uuid})
	defer func() {
		cancelExpiry()
		_ = p.pc.Close()
		disconnect()
		p.unreg()
		p.srv.publishers.remove(p)
		p.logger.Info("publisher session closed", "reason", p.reason)
		close(p.done)
	}()
	defer p.recoverTo()
	tracks := p.gather()
	if tracks == nil {
		return
	}
	desc := &description.Session{}
	for _, t := range tracks {
		desc.Medias = append(desc.Medias, t.in.media)
	}
	pub, err := p.srv.hub.Publish(p.path, desc, stream.SourceInfo{Protocol: "webrtc", Listener: "webrtc", ID: p.uuid,
		User: p.user, Type: "webRTCSession", Query: p.query})
	if err != nil {
		p.stop("publish: " + err.Error())
		return
	}
	defer pub.Close()
	p.logger.Info("publishing over WHIP", "tracks", len(tracks))
	start := time.Now()
	var wg sync.WaitGroup
	for _, t := range tracks {
		wg.Go(func() {
			defer p.recoverTo()
			p.feed(t, pub, start)
		})
	}
	if pli := p.pli(tracks); pli != nil {
		pub.SetKeyframeRequester(pli)
		go p.requestKeyframes(pub)
	}
	select {
	case <-p.stopping:
	case <-pub.Done():
		p.stop("another publisher took over")
	}
	_ = p.pc.Close() // ends the track readers
	wg.Wait()
}

// gatheredTrack is a received track with its hub mapping.
type gatheredTrack struct {
	remote *webrtc.TrackRemote
	in     *inTrack
}

// gather waits for ICE+DTLS (HandshakeTimeout), then for the expected
// tracks (TrackGatherTimeout); nil when the session ended or nothing usable
// arrived.
func (p *publisher) gather() []gatheredTrack {
	if !p.handshake(p.srv.cfg.HandshakeTimeout, nil) {
		return nil
	}
	tg := time.NewTimer(p.srv.cfg.TrackGatherTimeout)
	defer tg.Stop()
wait:
	for {
		p.mu.Lock()
		n := len(p.tracks)
		p.mu.Unlock()
		if n >= p.expected || n >= maxInboundTracks {
			break
		}
		select {
		case <-p.arrive:
		case <-tg.C:
			break wait
		case <-p.stopping:
			return nil
		}
	}
	p.mu.Lock()
	remotes := append([]*webrtc.TrackRemote{}, p.tracks...)
	p.mu.Unlock()
	var out []gatheredTrack
	for _, r := range remotes {
		if in := newInTrack(r.Codec()); in != nil {
			out = append(out, gatheredTrack{remote: r, in: in})
		}
	}
	if len(out) == 0 {
		p.stop(errNoInboundTrack.Error())
		return nil
	}
	return out
}

// feed reads one track's packets into the publication until the peer
// connection closes. A track's timestamps start where the session's clock
// stood when its first packet came, so that audio and video stay in step.
func (p *publisher) feed(t gatheredTrack, pub *stream.Publication, start time.Time) {
	var base int64
	first := true
	for {
		pkt, _, err := t.remote.ReadRTP()
		if err != nil {
			return
		}
		if first {
			first = false
			base = time.Since(start).Nanoseconds() * int64(t.in.format.ClockRate()) / int64(time.Second)
		}
		if u := t.in.unit(pkt, base); u != nil {
			pub.WriteUnit(u)
		}
	}
}

// pli is the sender of a PLI for every video track, nil when there is
// none.
func (p *publisher) pli(tracks []gatheredTrack) func() {
	var pkts []rtcp.Packet
	for _, t := range tracks {
		if t.in.media.Type == description.MediaTypeVideo {
			pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: uint32(t.remote.SSRC())})
		}
	}
	if len(pkts) == 0 {
		return nil
	}
	return func() {
		if err := p.pc.WriteRTCP(pkts); err == nil {
			p.srv.metrics.plis.Inc()
		}
	}
}

// requestKeyframes asks for a keyframe at once and every KeyframeInterval
// until the session ends, through the publication's rate limit.
func (p *publisher) requestKeyframes(pub *stream.Publication) {
	defer p.recoverTo()
	tick := time.NewTicker(p.srv.cfg.KeyframeInterval)
	defer tick.Stop()
	for {
		pub.RequestKeyframe()
		select {
		case <-tick.C:
		case <-p.stopping:
			return
		}
	}
}
