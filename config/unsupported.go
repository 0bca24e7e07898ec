package config

import (
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unsupportedKey is a MediaMTX key for a feature streamgate does not have.
// A file may hold it with MediaMTX's default value (every shipped
// mediamtx.yml does), or empty; any other value is a load error saying the
// feature is not supported, so that nobody believes it works.
type unsupportedKey struct {
	name    string
	feature feature
	// defaults are the values MediaMTX releases shipped, as YAML; "no" and
	// "false", 1 and 1.0 compare equal.
	defaults []string
	// gatedBy: a top-level key of this name switches the feature for every
	// path (MediaMTX 1.1's record: "if global recording is enabled"); while
	// it is off (its default) the path key may hold anything.
	gatedBy string
}

// feature names what streamgate does not have, for the error.
type feature string

const (
	rpiCamera       feature = "the Raspberry Pi camera source"
	recording       feature = "recording to disk"
	playback        feature = "the playback server (recordings)"
	moq             feature = "Media over QUIC"
	rtspUDP         feature = "RTSP multicast and SRTP address settings"
	webrtcICE       feature = "this WebRTC ICE setting"
	tuning          feature = "this buffer tuning"
	alwaysAvailable feature = "always-available and fallback streams"
	hooks           feature = "this hook"
	hlsExtra        feature = "this HLS option"
	trustedProxies  feature = "trusted proxies on this listener"
	dumpPackets     feature = "packet dumps"
	sourceOptions   feature = "this pulled-source option"
)

// unsupportedKeys are, per struct (Conf: top level; Path: pathDefaults and
// each path), the keys of MediaMTX releases since v1.0.0 that streamgate
// accepts only with MediaMTX's default (testdata/mediamtx-keys lists every
// shipped key and value). A key streamgate implements is a field and never
// looked up here.
var unsupportedKeys = map[reflect.Type][]unsupportedKey{
	reflect.TypeFor[Conf](): {
		{name: "dumpPackets", feature: dumpPackets, defaults: []string{`"false"`}},
		{name: "hlsCDNSecret", feature: hlsExtra, defaults: []string{`""`}},
		{name: "hlsDirectory", feature: hlsExtra, defaults: []string{`""`}},
		{name: "moq", feature: moq, defaults: []string{`"true"`, `"false"`}},
		{name: "moqAllowOrigins", feature: moq, defaults: []string{`["*"]`}},
		{name: "moqHTTP2Address", feature: moq, defaults: []string{`":8892"`}},
		{name: "moqHTTP3Address", feature: moq, defaults: []string{`":8892"`}},
		{name: "moqHTTPS2Address", feature: moq, defaults: []string{`":8892"`}},
		{name: "moqHTTPS3Address", feature: moq, defaults: []string{`":8892"`}},
		{name: "moqQUICAddress", feature: moq, defaults: []string{`":8893"`}},
		{name: "moqServerCert", feature: moq, defaults: []string{`"auto.crt"`}},
		{name: "moqServerKey", feature: moq, defaults: []string{`"auto.key"`}},
		{name: "moqTrustedProxies", feature: moq, defaults: []string{`[]`}},
		{name: "multicastIPRange", feature: rtspUDP, defaults: []string{`"224.1.0.0/16"`}},
		{name: "multicastRTCPPort", feature: rtspUDP, defaults: []string{`"8003"`}},
		{name: "multicastRTPPort", feature: rtspUDP, defaults: []string{`"8002"`}},
		{name: "multicastSRTCPPort", feature: rtspUDP, defaults: []string{`"8007"`}},
		{name: "multicastSRTPPort", feature: rtspUDP, defaults: []string{`"8006"`}},
		{name: "playback", feature: playback, defaults: []string{`"false"`, `"no"`}},
		{name: "playbackAddress", feature: playback, defaults: []string{`":9996"`}},
		{name: "playbackAllowOrigin", feature: playback, defaults: []string{`"*"`}},
		{name: "playbackAllowOrigins", feature: playback, defaults: []string{`["*"]`}},
		{name: "playbackEncryption", feature: playback, defaults: []string{`"false"`, `"no"`}},
		{name: "playbackServerCert", feature: playback, defaults: []string{`"server.crt"`}},
		{name: "playbackServerKey", feature: playback, defaults: []string{`"server.key"`}},
		{name: "playbackTrustedProxies", feature: playback, defaults: []string{`[]`}},
		{name: "readBufferCount", feature: tuning, defaults: []string{`"512"`}},
		{name: "record", feature: recording, defaults: []string{`"no"`}},
		{name: "recordDeleteAfter", feature: recording, defaults: []string{`"24h"`}},
		{name: "recordFormat", feature: recording, defaults: []string{`"fmp4"`}},
		{name: "recordPartDuration", feature: recording, defaults: []string{`"100ms"`}},
		{name: "recordPath", feature: recording, defaults: []string{`"./recordings/%path/%Y-%m-%d_%H-%M-%S-%f"`}},
		{name: "recordSegmentDuration", feature: recording, defaults: []string{`"1h"`}},
		{name: "rtmpTrustedProxies", feature: trustedProxies, defaults: []string{`[]`}},
		{name: "rtspTrustedProxies", feature: trustedProxies, defaults: []string{`[]`}},
		{name: "rtspUDPReadBufferSize", feature: tuning, defaults: []string{`"0"`}},
		{name: "srtcpAddress", feature: rtspUDP, defaults: []string{`":8005"`}},
		{name: "srtpAddress", feature: rtspUDP, defaults: []string{`":8004"`}},
		{name: "udpMaxPayloadSize", feature: tuning, defaults: []string{`"1452"`, `"1472"`}},
		{name: "udpReadBufferSize", feature: tuning, defaults: []string{`"0"`}},
		{name: "webrtcICEInterfaces", feature: webrtcICE, defaults: []string{`[]`}},
		{name: "webrtcICETCPMuxAddress", feature: webrtcICE, defaults: []string{`null`}},
		{name: "webrtcLocalTCPAddress", feature: webrtcICE, defaults: []string{`""`}},
		{name: "writeQueueSize", feature: tuning, defaults: []string{`"512"`}},
		// Deprecated by MediaMTX in favour of webrtcICEServers2; not shipped since v1.0.0.
		{name: "webrtcICEServers", feature: webrtcICE, defaults: []string{`[]`, `["stun:stun.l.google.com:19302"]`}},
	},
	reflect.TypeFor[Path](): {
		{name: "alwaysAvailable", feature: alwaysAvailable, defaults: []string{`"false"`}},
		{name: "alwaysAvailableFile", feature: alwaysAvailable, defaults: []string{`""`}},
		{name: "alwaysAvailableTracks", feature: alwaysAvailable, defaults: []string{`[]`, `[{"codec": "H264"}]`}},
		{name: "fallback", feature: alwaysAvailable, defaults: []string{`null`}},
		{name: "forward", feature: sourceOptions, defaults: []string{`[]`}},
		{name: "moqTransport", feature: moq, defaults: []string{`"quic"`}},
		{name: "mpegtsUDPReadBufferSize", feature: tuning, defaults: []string{`"0"`}},
		{name: "record", feature: recording, defaults: []string{`"no"`}, gatedBy: "record"},
		{name: "recordDeleteAfter", feature: recording, defaults: []string{`"1d"`, `"24h"`}},
		{name: "recordFormat", feature: recording, defaults: []string{`"fmp4"`}},
		{name: "recordMaxPartSize", feature: recording, defaults: []string{`"50M"`}},
		{name: "recordPartDuration", feature: recording, defaults: []string{`"100ms"`, `"1s"`}},
		{name: "recordPath", feature: recording, defaults: []string{`"./recordings/%path/%Y-%m-%d_%H-%M-%S-%f"`}},
		{name: "recordSegmentDuration", feature: recording, defaults: []string{`"1h"`}},
		{name: "rpiCameraAWB", feature: rpiCamera, defaults: []string{`"auto"`}},
		{name: "rpiCameraAWBGains", feature: rpiCamera, defaults: []string{`["0", "0"]`}},
		{name: "rpiCameraAfMode", feature: rpiCamera, defaults: []string{`"auto"`, `"continuous"`}},
		{name: "rpiCameraAfRange", feature: rpiCamera, defaults: []string{`"normal"`}},
		{name: "rpiCameraAfSpeed", feature: rpiCamera, defaults: []string{`"normal"`}},
		{name: "rpiCameraAfWindow", feature: rpiCamera, defaults: []string{`null`}},
		{name: "rpiCameraBitrate", feature: rpiCamera, defaults: []string{`"1000000"`, `"5000000"`}},
		{name: "rpiCameraBrightness", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraCamID", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraCodec", feature: rpiCamera, defaults: []string{`"auto"`}},
		{name: "rpiCameraContrast", feature: rpiCamera, defaults: []string{`"1"`}},
		{name: "rpiCameraDenoise", feature: rpiCamera, defaults: []string{`"off"`}},
		{name: "rpiCameraEV", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraExposure", feature: rpiCamera, defaults: []string{`"normal"`}},
		{name: "rpiCameraFPS", feature: rpiCamera, defaults: []string{`"30"`}},
		{name: "rpiCameraFlickerPeriod", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraGain", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraH264Level", feature: rpiCamera, defaults: []string{`"4.1"`}},
		{name: "rpiCameraH264Profile", feature: rpiCamera, defaults: []string{`"auto"`}},
		{name: "rpiCameraHDR", feature: rpiCamera, defaults: []string{`"false"`}},
		{name: "rpiCameraHFlip", feature: rpiCamera, defaults: []string{`"false"`}},
		{name: "rpiCameraHardwareH264Level", feature: rpiCamera, defaults: []string{`"4.1"`}},
		{name: "rpiCameraHardwareH264Profile", feature: rpiCamera, defaults: []string{`"main"`}},
		{name: "rpiCameraHeight", feature: rpiCamera, defaults: []string{`"1080"`}},
		{name: "rpiCameraIDRPeriod", feature: rpiCamera, defaults: []string{`"60"`}},
		{name: "rpiCameraJPEGQuality", feature: rpiCamera, defaults: []string{`"60"`}},
		{name: "rpiCameraLensPosition", feature: rpiCamera, defaults: []string{`"0.0"`}},
		{name: "rpiCameraLevel", feature: rpiCamera, defaults: []string{`"4.1"`}},
		{name: "rpiCameraMJPEGQuality", feature: rpiCamera, defaults: []string{`"60"`}},
		{name: "rpiCameraMetering", feature: rpiCamera, defaults: []string{`"centre"`}},
		{name: "rpiCameraMode", feature: rpiCamera, defaults: []string{`null`}},
		{name: "rpiCameraProfile", feature: rpiCamera, defaults: []string{`"main"`}},
		{name: "rpiCameraROI", feature: rpiCamera, defaults: []string{`null`}},
		{name: "rpiCameraSaturation", feature: rpiCamera, defaults: []string{`"1"`}},
		{name: "rpiCameraSecondary", feature: rpiCamera, defaults: []string{`"false"`}},
		{name: "rpiCameraSharpness", feature: rpiCamera, defaults: []string{`"1"`}},
		{name: "rpiCameraShutter", feature: rpiCamera, defaults: []string{`"0"`}},
		{name: "rpiCameraSoftwareH264Level", feature: rpiCamera, defaults: []string{`"4.1"`}},
		{name: "rpiCameraSoftwareH264Profile", feature: rpiCamera, defaults: []string{`"baseline"`}},
		{name: "rpiCameraTextOverlay", feature: rpiCamera, defaults: []string{`"%Y-%m-%d %H:%M:%S - MediaMTX"`}},
		{name: "rpiCameraTextOverlayEnable", feature: rpiCamera, defaults: []string{`"false"`}},
		{name: "rpiCameraTuningFile", feature: rpiCamera, defaults: []string{`null`}},
		{name: "rpiCameraVFlip", feature: rpiCamera, defaults: []string{`"false"`}},
		{name: "rpiCameraWidth", feature: rpiCamera, defaults: []string{`"1920"`}},
		{name: "rtpSDP", feature: sourceOptions, defaults: []string{`null`}},
		{name: "rtpUDPReadBufferSize", feature: tuning, defaults: []string{`"0"`}},
		{name: "rtspDemuxMpegts", feature: sourceOptions, defaults: []string{`"false"`}},
		{name: "rtspScale", feature: sourceOptions, defaults: []string{`null`}},
		{name: "rtspUDPReadBufferSize", feature: tuning, defaults: []string{`"0"`}},
		{name: "rtspUDPSourcePortRange", feature: sourceOptions, defaults: []string{`["10000", "65535"]`, `["32768", "60999"]`}},
		{name: "runOnOffline", feature: hooks, defaults: []string{`null`}},
		{name: "runOnOnline", feature: hooks, defaults: []string{`null`}},
		{name: "runOnOnlineRestart", feature: hooks, defaults: []string{`"false"`}},
		{name: "useAbsoluteTimestamp", feature: sourceOptions, defaults: []string{`"false"`}},
		{name: "whepBearerToken", feature: sourceOptions, defaults: []string{`""`}},
		{name: "whepHandshakeTimeout", feature: sourceOptions, defaults: []string{`"10s"`}},
		{name: "whepSTUNGatherTimeout", feature: sourceOptions, defaults: []string{`"5s"`}},
		{name: "whepTrackGatherTimeout", feature: sourceOptions, defaults: []string{`"2s"`}},
	},
}

func lookupUnsupported(t reflect.Type, name string) (unsupportedKey, bool) {
	for _, u := range unsupportedKeys[t] {
		if u.name == name {
			return u, true
		}
	}
	return unsupportedKey{}, false
}

// pendingUnsupported is a path key that a top-level key may switch off
// (gatedBy), checked once the whole file is decoded.
type pendingUnsupported struct {
	u      unsupportedKey
	parent string
	kn     *yaml.Node
}

// noteUnsupported checks unsupported key kn of the struct decoded at parent.
func (d *decoder) noteUnsupported(u unsupportedKey, kn, vn *yaml.Node, parent string) {
	key := joinKey(parent, kn.Value)
	if n := resolveAlias(vn); isNull(n) {
		return // an empty key keeps the default, as everywhere
	}
	v, ok := d.generic(vn, key)
	if !ok {
		return
	}
	held := u.holdsDefault(v)
	if parent == "" {
		if d.topDefault == nil {
			d.topDefault = map[string]bool{}
		}
		d.topDefault[u.name] = held
	}
	switch {
	case held:
	case u.gatedBy != "" && parent != "":
		d.unsupported = append(d.unsupported, pendingUnsupported{u: u, parent: parent, kn: kn})
	default:
		d.refuseUnsupported(u, kn, parent)
	}
}

// checkUnsupported reports the gated keys not holding their default whose
// top-level switch is on; top are the keys the top level sets.
func (d *decoder) checkUnsupported(top map[string]bool) {
	for _, p := range d.unsupported {
		held, set := d.topDefault[p.u.gatedBy]
		if top[p.u.gatedBy] && (held || !set) {
			continue // switched off at the top (or left empty: off)
		}
		d.refuseUnsupported(p.u, p.kn, p.parent)
	}
}

func (d *decoder) refuseUnsupported(u unsupportedKey, kn *yaml.Node, parent string) {
	shown := make([]string, len(u.defaults))
	for i, def := range u.defaults {
		shown[i] = def
		if def == "null" {
			shown[i] = "empty"
		} else if s, err := strconv.Unquote(def); err == nil && s != "" {
			shown[i] = s
		}
	}
	d.errorf(kn, joinKey(parent, u.name), "%s is not supported by streamgate; remove the key or set it to MediaMTX's default (%s)",
		u.feature, strings.Join(shown, " or "))
}

// holdsDefault reports whether v (a generic value) is one of u's defaults,
// or empty where a default is empty.
func (u unsupportedKey) holdsDefault(v any) bool {
	nv := normalize(v)
	for _, def := range u.defaults {
		var dv any
		if err := yaml.Unmarshal([]byte(def), &dv); err != nil {
			panic("config: bad default of " + u.name + ": " + def)
		}
		nd := normalize(dv)
		if reflect.DeepEqual(nv, nd) || (isEmpty(nv) && isEmpty(nd)) {
			return true
		}
	}
	return false
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	}
	return false
}

// normalize makes YAML spellings of one value equal: yes/no/on/off and
// true/false are bools, numbers are float64, and so inside lists and maps.
func normalize(v any) any {
	switch v := v.(type) {
	case string:
		switch strings.ToLower(v) {
		case "yes", "true", "on":
			return true
		case "no", "false", "off":
			return false
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case float64, bool, nil:
		return v
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	}
	return v
}
