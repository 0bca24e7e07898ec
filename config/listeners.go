package config

import "github.com/streamgate/streamgate/authz"

// Listener is one listener described once: validation (addresses, TLS
// files, address clashes), the daemon's start and reload, and seed 004's
// per-service credentials all read this table (Conf.Listeners) instead of
// each naming the keys again.
type Listener struct {
	// Name is the listener's name: rtsp, rtsps, rtmp, rtmps, srt, hls,
	// webrtc, api, metrics, pprof, gateway.
	Name string
	// Group is the set of listeners started, stopped and restarted together
	// (rtsp for rtsp and rtsps, rtmp for rtmp and rtmps; else Name).
	Group string
	// Enabled is true when the configuration switches the listener on.
	Enabled bool
	// AddrKey and Addr are its address key and value.
	AddrKey, Addr string
	// TLS is true when it is served over TLS, with the key and certificate
	// files named by KeyKey and CertKey.
	TLS           bool
	KeyKey, Key   string
	CertKey, Cert string
	// ClientCA and ClientCRL: client certificates asked for (gateway).
	ClientCA  string
	ClientCRL bool
	// Action is the action every request to it is authorized for (api,
	// metrics, pprof, gateway); empty for the media listeners, whose
	// requests publish or read.
	Action authz.Action
	// User and Pass are its seed 004 service credentials (apiUser/apiPass…);
	// Pass is nil for listeners that have none.
	User string
	Pass *Password
	// AllowOrigins and TrustedProxies are its CORS origins and the proxies
	// that may set X-Forwarded-For (HTTP listeners).
	AllowOrigins   []string
	TrustedProxies []Network
}

// Listeners describes every listener of c, in start order.
func (c *Conf) Listeners() []Listener {
	return []Listener{
		{Name: "rtsp", Group: "rtsp", Enabled: c.RTSP && c.RTSPEncryption != "strict", AddrKey: "rtspAddress", Addr: c.RTSPAddress},
		{Name: "rtsps", Group: "rtsp", Enabled: c.RTSP && c.RTSPEncryption != "no", AddrKey: "rtspsAddress", Addr: c.RTSPSAddress,
			TLS: true, KeyKey: "rtspServerKey", Key: c.RTSPServerKey, CertKey: "rtspServerCert", Cert: c.RTSPServerCert},
		{Name: "rtmp", Group: "rtmp", Enabled: c.RTMP && c.RTMPEncryption != "strict", AddrKey: "rtmpAddress", Addr: c.RTMPAddress},
		{Name: "rtmps", Group: "rtmp", Enabled: c.RTMP && c.RTMPEncryption != "no", AddrKey: "rtmpsAddress", Addr: c.RTMPSAddress,
			TLS: true, KeyKey: "rtmpServerKey", Key: c.RTMPServerKey, CertKey: "rtmpServerCert", Cert: c.RTMPServerCert},
		{Name: "srt", Group: "srt", Enabled: c.SRT, AddrKey: "srtAddress", Addr: c.SRTAddress},
		{Name: "api", Group: "api", Enabled: c.API, AddrKey: "apiAddress", Addr: c.APIAddress,
			TLS: c.APIEncryption, KeyKey: "apiServerKey", Key: c.APIServerKey, CertKey: "apiServerCert", Cert: c.APIServerCert,
			Action: authz.ActionAPI, User: c.APIUser, Pass: &c.APIPass,
			AllowOrigins: c.APIAllowOrigins, TrustedProxies: c.APITrustedProxies},
		{Name: "metrics", Group: "metrics", Enabled: c.Metrics, AddrKey: "metricsAddress", Addr: c.MetricsAddress,
			TLS: c.MetricsEncryption, KeyKey: "metricsServerKey", Key: c.MetricsServerKey, CertKey: "metricsServerCert", Cert: c.MetricsServerCert,
			Action: authz.ActionMetrics, User: c.MetricsUser, Pass: &c.MetricsPass,
			AllowOrigins: c.MetricsAllowOrigins, TrustedProxies: c.MetricsTrustedProxies},
		{Name: "pprof", Group: "pprof", Enabled: c.Pprof, AddrKey: "pprofAddress", Addr: c.PprofAddress,
			TLS: c.PprofEncryption, KeyKey: "pprofServerKey", Key: c.PprofServerKey, CertKey: "pprofServerCert", Cert: c.PprofServerCert,
			Action: authz.ActionPprof, User: c.PprofUser, Pass: &c.PprofPass,
			AllowOrigins: c.PprofAllowOrigins, TrustedProxies: c.PprofTrustedProxies},
		{Name: "gateway", Group: "gateway", Enabled: c.Gateway, AddrKey: "gatewayAddress", Addr: c.GatewayAddress,
			TLS: c.GatewayEncryption, KeyKey: "gatewayServerKey", Key: c.GatewayServerKey, CertKey: "gatewayServerCert", Cert: c.GatewayServerCert,
			ClientCA: c.GatewayClientCA, ClientCRL: c.GatewayClientCRL,
			Action: authz.ActionGateway, User: c.GatewayUser, Pass: &c.GatewayPass},
		{Name: "hls", Group: "hls", Enabled: c.HLS, AddrKey: "hlsAddress", Addr: c.HLSAddress,
			TLS: c.HLSEncryption, KeyKey: "hlsServerKey", Key: c.HLSServerKey, CertKey: "hlsServerCert", Cert: c.HLSServerCert,
			AllowOrigins: c.HLSAllowOrigins, TrustedProxies: c.HLSTrustedProxies},
		{Name: "webrtc", Group: "webrtc", Enabled: c.WebRTC, AddrKey: "webrtcAddress", Addr: c.WebRTCAddress,
			TLS: c.WebRTCEncryption, KeyKey: "webrtcServerKey", Key: c.WebRTCServerKey, CertKey: "webrtcServerCert", Cert: c.WebRTCServerCert,
			AllowOrigins: c.WebRTCAllowOrigins, TrustedProxies: c.WebRTCTrustedProxies},
	}
}

// ListenerNamed is the listener called name; ok is false for no such name.
func (c *Conf) ListenerNamed(name string) (l Listener, ok bool) {
	for _, l := range c.Listeners() {
		if l.Name == name {
			return l, true
		}
	}
	return Listener{}, false
}

// ServiceCredential is one service's seed 004 pair.
type ServiceCredential struct {
	// User is the service's user ("": the global authUser).
	User string
	// Pass is the service's password (unset: the global authPass).
	Pass *Password
}

// ServiceCredentials are seed 004's per-service pairs by the action they
// guard: the service listeners', and playbackUser/playbackPass (MediaMTX's
// playback action, which has no listener here).
func (c *Conf) ServiceCredentials() map[authz.Action]ServiceCredential {
	out := map[authz.Action]ServiceCredential{authz.ActionPlayback: {c.PlaybackUser, &c.PlaybackPass}}
	for _, l := range c.Listeners() {
		if l.Action != "" {
			out[l.Action] = ServiceCredential{l.User, l.Pass}
		}
	}
	return out
}
