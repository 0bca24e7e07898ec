package daemon

import (
	"net/http"
	"net/netip"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/hls"
	"github.com/streamgate/streamgate/protocols/httpapi"
	"github.com/streamgate/streamgate/protocols/httpauth"
)

// gate is the authentication of a media HTTP listener (HLS, WebRTC), its
// settings read from the configuration current at each request.
func (d *Daemon) gate(proto authn.Protocol, trusted func(*config.Conf) []config.Network, origins func(*config.Conf) []string) *httpauth.Gate {
	return &httpauth.Gate{
		Auth:           d,
		Protocol:       proto,
		Realm:          func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: func() []netip.Prefix { return []netip.Prefix(config.Networks(trusted(d.conf.Load()))) },
		QueryToken:     func() bool { return d.conf.Load().AuthJWTInHTTPQuery },
		AllowOrigins:   func() []string { return origins(d.conf.Load()) },
	}
}

// mediaMux puts /health and /ready, as on every HTTP listener, in front of
// a media listener's handler.
func (d *Daemon) mediaMux(h http.Handler) http.Handler {
	env := &httpapi.Env{Ready: d.Ready}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", httpapi.Health)
	mux.HandleFunc("GET /ready", env.ReadyHandler)
	mux.Handle("/", h)
	return mux
}

// hlsListener builds the HLS listener (hls*).
func (d *Daemon) hlsListener(c *config.Conf) httpListener {
	if !c.HLS {
		return httpListener{name: "hls"}
	}
	d.hls = hls.New(hls.Config{
		Variant:         c.HLSVariant,
		SegmentCount:    c.HLSSegmentCount,
		SegmentDuration: c.HLSSegmentDuration,
		PartDuration:    c.HLSPartDuration,
		SegmentMaxSize:  uint64(c.HLSSegmentMaxSize),
		MuxerCloseAfter: c.HLSMuxerCloseAfter,
		AlwaysRemux:     c.HLSAlwaysRemux,
		Registerer:      d.registry,
		Logger:          d.logger.With("component", "hls"),
	}, d.gate(authn.ProtocolHLS,
		func(c *config.Conf) []config.Network { return c.HLSTrustedProxies },
		func(c *config.Conf) []string { return c.HLSAllowOrigins }), d.hub)
	d.hub.OnPublish(d.hls.OnPublish)
	return httpListener{"hls", true, c.HLSAddress, nil, d.mediaMux(d.hls)}
}

// closeMedia stops the HLS muxers.
func (d *Daemon) closeMedia() {
	if d.hls != nil {
		d.hls.Close()
		d.hls = nil
	}
}
