package daemon

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/hls"
	"github.com/streamgate/streamgate/protocols/httpapi"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

// gate is the authentication of a media HTTP listener (HLS, WebRTC), its
// settings read from the configuration current at each request.
func (d *Daemon) gate(proto authn.Protocol, name string) *httpauth.Gate {
	view := d.listenerView(name)
	return &httpauth.Gate{
		Auth:           d,
		Protocol:       proto,
		Realm:          func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: func() []netip.Prefix { return view().proxies },
		QueryToken:     func() bool { return d.conf.Load().AuthJWTInHTTPQuery },
		AllowOrigins:   func() []string { return view().AllowOrigins },
	}
}

// mediaMux puts /health and /ready, as on every HTTP listener, in front of
// a media listener's handler. Every other URL goes to the handler as it
// came: a ServeMux would redirect "/a/../b/" to its cleaned form, where the
// listener answers a name that breaks the naming rules with 400.
func (d *Daemon) mediaMux(h http.Handler) http.Handler {
	env := &httpapi.Env{Ready: d.Ready}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", httpapi.Health)
	mux.HandleFunc("GET /ready", env.ReadyHandler)
	mux.Handle("/", h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health", "/ready":
			mux.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// hlsListener builds the HLS listener (hls*).
func (d *Daemon) hlsListener(c *config.Conf) httpListener {
	if !c.HLS {
		return httpListener{name: "hls"}
	}
	h := hls.New(hls.Config{
		Variant:         c.HLSVariant,
		SegmentCount:    c.HLSSegmentCount,
		SegmentDuration: c.HLSSegmentDuration,
		PartDuration:    c.HLSPartDuration,
		SegmentMaxSize:  uint64(c.HLSSegmentMaxSize),
		MuxerCloseAfter: c.HLSMuxerCloseAfter,
		AlwaysRemux:     c.HLSAlwaysRemux,
		Registerer:      d.registry,
		Logger:          d.logger.With("component", "hls"),
		Conns:           d.conns,
	}, d.gate(authn.ProtocolHLS, "hls"), d.hub)
	d.hls.Store(h)
	return httpListener{name: "hls", enabled: true, addr: c.HLSAddress, handler: d.mediaMux(h), closeMedia: func() {
		d.hls.CompareAndSwap(h, nil)
		h.Close()
	}}
}

// iceServers maps webrtcICEServers2 onto the listener's own type.
func iceServers(in []config.WebRTCICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		out = append(out, webrtc.ICEServer{URL: s.URL, Username: s.Username, Password: string(s.Password), ClientOnly: s.ClientOnly})
	}
	return out
}

// webrtcListener builds the WebRTC listener (webrtc*): WHEP, WHIP, the
// player and publish pages.
func (d *Daemon) webrtcListener(c *config.Conf) (httpListener, error) {
	if !c.WebRTC {
		return httpListener{name: "webrtc"}, nil
	}
	s, err := webrtc.New(webrtc.Config{
		LocalUDPAddress:       c.WebRTCLocalUDPAddress,
		IPsFromInterfaces:     c.WebRTCIPsFromInterfaces,
		AdditionalHosts:       c.WebRTCAdditionalHosts,
		IPsFromInterfacesList: c.WebRTCIPsFromInterfacesList,
		HandshakeTimeout:      c.WebRTCHandshakeTimeout,
		TrackGatherTimeout:    c.WebRTCTrackGatherTimeout,
		STUNGatherTimeout:     c.WebRTCSTUNGatherTimeout,
		ICEServers:            iceServers(c.WebRTCICEServers2),
		Registerer:            d.registry,
		Logger:                d.logger.With("component", "webrtc"),
		Conns:                 d.conns,
	}, d.gate(authn.ProtocolWebRTC, "webrtc"), d.hub)
	if err != nil {
		return httpListener{}, fmt.Errorf("webrtc: %w", err)
	}
	return httpListener{name: "webrtc", enabled: true, addr: c.WebRTCAddress, handler: d.mediaMux(s), closeMedia: s.Close}, nil
}

// mediaOnPublish is the hub hook of the media listeners running now
// (hlsAlwaysRemux), registered once for every restart of them.
func (d *Daemon) mediaOnPublish(p *stream.Publication) {
	if h := d.hls.Load(); h != nil {
		h.OnPublish(p)
	}
}
