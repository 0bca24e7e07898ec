package config

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

// deprecation is how a key MediaMTX deprecated (or renamed) is read: into
// the key that replaced it, converted the way MediaMTX converts it. Errors
// about the value name the key the file used.
type deprecation struct {
	// to is the key that replaced it (a field of the same struct); a file
	// setting both is refused, as which one it means cannot be told.
	to string
	// read is how the value is converted; renamed: read as it is.
	read conversion
	// note is what MediaMTX does with it (documentation only).
	note string
}

// conversion is how a deprecated key's value becomes its replacement's.
type conversion int

const (
	renamed     conversion = iota // the same value
	negated                       // rtspDisable: yes → rtsp: no
	oneOrigin                     // apiAllowOrigin: X → apiAllowOrigins: [X]
	externalURL                   // externalAuthenticationURL: X → authMethod: http, authHTTPAddress: X
	ignoredBool                   // a yes/no with no effect
)

// deprecatedKeys are the keys MediaMTX v1.x reads but deprecated, per struct
// (Conf: top level; Path: pathDefaults and each path). Keys MediaMTX
// deprecated in favour of a feature streamgate does not have are in
// unsupportedKeys instead.
var deprecatedKeys = map[reflect.Type]map[string]deprecation{
	reflect.TypeFor[Conf](): {
		"protocols":   {to: "rtspTransports", note: "renamed"},
		"encryption":  {to: "rtspEncryption", note: "renamed"},
		"serverKey":   {to: "rtspServerKey", note: "renamed"},
		"serverCert":  {to: "rtspServerCert", note: "renamed"},
		"authMethods": {to: "rtspAuthMethods", note: "renamed"},

		"rtspDisable":   {to: "rtsp", read: negated, note: "rtsp: the opposite"},
		"rtmpDisable":   {to: "rtmp", read: negated, note: "rtmp: the opposite"},
		"hlsDisable":    {to: "hls", read: negated, note: "hls: the opposite"},
		"webrtcDisable": {to: "webrtc", read: negated, note: "webrtc: the opposite"},

		"apiAllowOrigin":     {to: "apiAllowOrigins", read: oneOrigin, note: "a list of this one origin"},
		"metricsAllowOrigin": {to: "metricsAllowOrigins", read: oneOrigin, note: "a list of this one origin"},
		"pprofAllowOrigin":   {to: "pprofAllowOrigins", read: oneOrigin, note: "a list of this one origin"},
		"hlsAllowOrigin":     {to: "hlsAllowOrigins", read: oneOrigin, note: "a list of this one origin"},
		"webrtcAllowOrigin":  {to: "webrtcAllowOrigins", read: oneOrigin, note: "a list of this one origin"},

		"externalAuthenticationURL": {to: "authHTTPAddress", read: externalURL,
			note: "authMethod: http with authHTTPAddress: this URL"},
		"webrtcICEUDPMuxAddress":  {to: "webrtcLocalUDPAddress", note: "renamed"},
		"webrtcICEHostNAT1To1IPs": {to: "webrtcAdditionalHosts", note: "renamed"},
	},
	reflect.TypeFor[Path](): {
		"sourceProtocol":           {to: "rtspTransport", note: "renamed"},
		"sourceAnyPortEnable":      {to: "rtspAnyPort", note: "renamed"},
		"disablePublisherOverride": {to: "overridePublisher", read: negated, note: "overridePublisher: the opposite"},
		// MediaMTX v1.19.3 renamed runOnReady… to runOnAvailable…; streamgate
		// keeps the older names and reads the newer ones into them.
		"runOnAvailable":        {to: "runOnReady", note: "runOnReady (MediaMTX ≥ 1.19.3's name for it)"},
		"runOnAvailableRestart": {to: "runOnReadyRestart", note: "runOnReadyRestart (MediaMTX ≥ 1.19.3's name)"},
		"runOnUnavailable":      {to: "runOnNotReady", note: "runOnNotReady (MediaMTX ≥ 1.19.3's name)"},
		// rtsp-simple-server's names, before runOnReady.
		"runOnPublish":        {to: "runOnReady", note: "runOnReady (rtsp-simple-server's name for it)"},
		"runOnPublishRestart": {to: "runOnReadyRestart", note: "runOnReadyRestart (rtsp-simple-server's name)"},
		// MediaMTX ≥ 1.7 ignores it ("has no effect").
		"playback": {read: ignoredBool, note: "ignored, as MediaMTX ≥ 1.7 ignores it"},
	},
}

// lookupDeprecated finds a deprecated key of struct type t.
func lookupDeprecated(t reflect.Type, name string) (deprecation, bool) {
	dep, ok := deprecatedKeys[t][name]
	return dep, ok
}

// decodeDeprecated reads the deprecated key kn of the struct s (decoded at
// parent); set holds every key the mapping sets.
func (d *decoder) decodeDeprecated(dep deprecation, s reflect.Value, kn, vn *yaml.Node, parent string, set map[string]bool) {
	key := joinKey(parent, kn.Value)
	if dep.to != "" && set[dep.to] {
		d.errorf(kn, key, "deprecated: set %s only (both are set)", dep.to)
		return
	}
	if isNull(resolveAlias(vn)) {
		return // an empty key keeps the default (MediaMTX: not set)
	}
	if dep.to != "" {
		// Later problems with the replacement name the key the file used.
		to := joinKey(parent, dep.to)
		d.alias[to] = key
		d.lines[to] = d.lines[key]
	}
	switch dep.read {
	case renamed:
		d.decode(vn, fieldByName(s, dep.to), key)
	case negated:
		readNegated(d, fieldByName(s, dep.to), vn, key)
	case oneOrigin:
		readOneOrigin(d, fieldByName(s, dep.to), kn, vn, key, dep.to)
	case externalURL:
		readExternalURL(d, s, kn, vn, key)
	case ignoredBool:
		var b bool
		d.decode(vn, reflect.ValueOf(&b).Elem(), key)
	}
}

func fieldByName(s reflect.Value, name string) reflect.Value {
	f, ok := lookupField(s.Type(), name)
	if !ok {
		panic("config: no field " + name + " in " + s.Type().String())
	}
	return s.FieldByIndex(f.index)
}

// readNegated stores the opposite of a yes/no (rtspDisable: yes → rtsp: no).
func readNegated(d *decoder, to reflect.Value, vn *yaml.Node, key string) {
	if isNull(resolveAlias(vn)) {
		return
	}
	var b bool
	errs := len(d.errs)
	d.decode(vn, reflect.ValueOf(&b).Elem(), key)
	if len(d.errs) == errs {
		to.SetBool(!b)
	}
}

// readOneOrigin reads a single origin into the list that replaced it; it
// replaces the list's default, as in MediaMTX.
func readOneOrigin(d *decoder, list reflect.Value, kn, vn *yaml.Node, key, to string) {
	n := resolveAlias(vn)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(kn, key, "want one origin (a string), or use %s for a list", to)
		return
	}
	list.Set(reflect.ValueOf([]string{n.Value}))
}

// readExternalURL is MediaMTX's externalAuthenticationURL: the http backend
// at that address.
func readExternalURL(d *decoder, s reflect.Value, kn, vn *yaml.Node, key string) {
	if isNull(resolveAlias(vn)) {
		return
	}
	var url string
	errs := len(d.errs)
	d.decode(vn, reflect.ValueOf(&url).Elem(), key)
	if len(d.errs) > errs || url == "" {
		return
	}
	fieldByName(s, "authHTTPAddress").SetString(url)
	fieldByName(s, "authMethod").Set(reflect.ValueOf(AuthMethods{"http"}))
	d.alias["authMethod"] = key
	d.lines["authMethod"] = kn
}
