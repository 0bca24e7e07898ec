package e2e_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The control API's answers are checked against MediaMTX's OpenAPI
// document (api/openapi.yaml of bluenviron/mediamtx v1.20.1, read by hand):
// per object, the properties it lists and their JSON types. Every property
// must be there with its type; a "?" type may also be null. Extra
// properties are allowed (streamgate adds user and authBackend).
//
// Types: string, uuid (a string in UUID form), time (a string in RFC 3339
// form, MediaMTX's created/started), integer, number, boolean, array,
// object, or enum:a|b|c.
var mtxSchemas = map[string]map[string]string{
	"Info":  {"version": "string", "started": "time"},
	"OK":    {"status": "enum:ok"},
	"Error": {"status": "enum:error", "error": "string"},
	"Path": {
		"name": "string", "confName": "string", "source": "object?", "available": "boolean",
		"availableTime": "time?", "online": "boolean", "onlineTime": "time?", "ready": "boolean", "readyTime": "time?",
		"tracks": "array", "tracks2": "array", "inboundBytes": "integer", "outboundBytes": "integer",
		"inboundFramesInError": "integer", "bytesReceived": "integer", "bytesSent": "integer", "readers": "array",
	},
	"PathSource": {"type": "enum:" + pathSourceTypes, "id": "string"},
	"PathReader": {"type": "enum:hlsSession|rtmpConn|rtmpsConn|rtspConn|rtspSession|rtspsConn|rtspsSession|srtConn|webRTCSession|moqSession|hidden", "id": "string"},
	"PathTrack":  {"codec": "enum:" + pathTrackCodecs, "codecProps": "object?"},
	"RTSPConn": {
		"id": "uuid", "created": "time", "remoteAddr": "string", "session": "uuid?", "tunnel": "string",
		"inboundBytes": "integer", "outboundBytes": "integer", "bytesReceived": "integer", "bytesSent": "integer",
	},
	"RTSPSession": {
		"id": "uuid", "created": "time", "remoteAddr": "string", "state": "enum:idle|read|publish", "path": "string",
		"query": "string", "transport": "string?", "profile": "string?", "conns": "array", "user": "string", "userAgent": "string",
		"inboundBytes": "integer", "outboundBytes": "integer", "bytesReceived": "integer", "bytesSent": "integer",
		"inboundRTPPackets": "integer", "inboundRTPPacketsLost": "integer", "inboundRTPPacketsInError": "integer",
		"inboundRTPPacketsJitter": "number", "inboundRTCPPackets": "integer", "inboundRTCPPacketsInError": "integer",
		"outboundRTPPackets": "integer", "outboundRTPPacketsReportedLost": "integer", "outboundRTPPacketsDiscarded": "integer",
		"outboundRTCPPackets": "integer", "rtpPacketsReceived": "integer", "rtpPacketsSent": "integer", "rtpPacketsLost": "integer",
		"rtpPacketsInError": "integer", "rtpPacketsJitter": "number", "rtcpPacketsReceived": "integer", "rtcpPacketsSent": "integer",
		"rtcpPacketsInError": "integer",
	},
	"RTMPConn": {
		"id": "uuid", "created": "time", "remoteAddr": "string", "state": "enum:idle|read|publish", "path": "string",
		"query": "string", "user": "string", "userAgent": "string", "inboundBytes": "integer", "outboundBytes": "integer",
		"bytesReceived": "integer", "bytesSent": "integer", "outboundFramesDiscarded": "integer",
	},
	"SRTConn": srtConnSchema(),
	"WebRTCSession": {
		"id": "uuid", "created": "time", "remoteAddr": "string", "peerConnectionEstablished": "boolean",
		"localCandidate": "string", "remoteCandidate": "string", "state": "enum:read|publish", "path": "string",
		"query": "string", "user": "string", "userAgent": "string", "inboundBytes": "integer", "outboundBytes": "integer",
		"bytesReceived": "integer", "bytesSent": "integer", "inboundRTPPackets": "integer", "inboundRTPPacketsLost": "integer",
		"inboundRTPPacketsJitter": "number", "inboundRTCPPackets": "integer", "outboundRTPPackets": "integer",
		"outboundRTCPPackets": "integer", "outboundFramesDiscarded": "integer", "rtpPacketsReceived": "integer",
		"rtpPacketsSent": "integer", "rtpPacketsLost": "integer", "rtpPacketsJitter": "number",
		"rtcpPacketsReceived": "integer", "rtcpPacketsSent": "integer",
	},
	// GlobalConf and PathConf list every key of the configuration; these
	// are the ones of them streamgate has, with MediaMTX's JSON types.
	"GlobalConf": {
		"logLevel": "string", "readTimeout": "string", "writeTimeout": "string", "api": "boolean",
		"apiAddress": "string", "rtsp": "boolean", "rtspAddress": "string", "rtspTransports": "array",
		"rtmp": "boolean", "rtmpAddress": "string", "hls": "boolean", "hlsAddress": "string", "webrtc": "boolean",
		"webrtcAddress": "string", "srt": "boolean", "srtAddress": "string", "authInternalUsers": "array",
	},
	"PathDefaults": pathConfKeys,
	"PathConf":     mergeKeys(pathConfKeys, map[string]string{"name": "string"}),
	"HLSSession": {
		"id": "uuid", "created": "time", "remoteAddr": "string", "path": "string", "query": "string", "user": "string",
		"userAgent": "string", "isCDN": "boolean", "outboundBytes": "integer",
	},
	"HLSMuxer": {
		"path": "string", "created": "time", "lastRequest": "time", "outboundBytes": "integer", "bytesSent": "integer",
		"outboundFramesDiscarded": "integer",
	},
}

const (
	pathSourceTypes = "hlsSource|redirect|rpiCameraSource|rtmpConn|rtmpsConn|rtmpSource|rtspSession|rtspSource|" +
		"rtspsSession|srtConn|srtSource|mpegtsSource|rtpSource|webRTCSession|webRTCSource|moqSource|moqSession"
	pathTrackCodecs = "AV1|VP9|VP8|H265|H264|MPEG-4 Video|MPEG-1/2 Video|M-JPEG|Opus|FLAC|Vorbis|MPEG-4 Audio|" +
		"MPEG-4 Audio LATM|MPEG-1/2 Audio|AC3|Speex|G726|G722|G711|LPCM|MPEG-TS|KLV|Generic"
)

// pathConfKeys are the path keys of MediaMTX's PathConf streamgate has.
var pathConfKeys = map[string]string{
	"source": "string", "maxReaders": "integer", "overridePublisher": "boolean", "publishUser": "string",
	"publishPass": "string", "readUser": "string", "readPass": "string", "srtPublishPassphrase": "string",
	"srtReadPassphrase": "string",
}

func mergeKeys(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// srtConnSchema is SRTConn: identity fields and libsrt's statistics.
func srtConnSchema() map[string]string {
	s := map[string]string{"id": "uuid", "created": "time", "remoteAddr": "string", "state": "enum:idle|read|publish",
		"path": "string", "query": "string", "user": "string", "outboundFramesDiscarded": "integer"}
	for _, k := range strings.Fields(`byteMSS bytesAvailReceiveBuf bytesAvailSendBuf bytesReceiveBuf bytesReceived
		bytesReceivedBelated bytesReceivedDrop bytesReceivedLoss bytesReceivedRetrans bytesReceivedUndecrypt
		bytesReceivedUnique bytesRetrans bytesSendBuf bytesSendDrop bytesSent bytesSentUnique msReceiveBuf
		msReceiveTsbPdDelay msSendBuf msSendTsbPdDelay packetsFlightSize packetsFlowWindow packetsReceiveBuf
		packetsReceived packetsReceivedACK packetsReceivedAvgBelatedTime packetsReceivedBelated packetsReceivedDrop
		packetsReceivedKM packetsReceivedLoss packetsReceivedNAK packetsReceivedRetrans packetsReceivedUndecrypt
		packetsReceivedUnique packetsReorderTolerance packetsRetrans packetsSendBuf packetsSendDrop packetsSendLoss
		packetsSent packetsSentACK packetsSentKM packetsSentNAK packetsSentUnique usSndDuration`) {
		s[k] = "integer"
	}
	for _, k := range strings.Fields(`mbpsLinkCapacity mbpsMaxBW mbpsReceiveRate mbpsSendRate msRTT
		packetsReceivedLossRate packetsSendLossRate usPacketsSendPeriod`) {
		s[k] = "number"
	}
	return s
}

// streamgateWho are the properties streamgate adds to every connection and
// session item: the user and the backend that authenticated it.
var streamgateWho = map[string]string{"user": "string", "authBackend": "string"}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// decodeJSON decodes an answer's body keeping numbers as written.
func decodeJSON(t testing.TB, what, body string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: not JSON (%v): %q", what, err, body)
	}
	return v
}

// checkSchema checks v against the object schema name (and extra), and the
// nested objects it knows (a path's source, readers and tracks).
func checkSchema(t testing.TB, what, name string, v any, extra ...map[string]string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: want a %s object, got %T", what, name, v)
		return
	}
	props := map[string]string{}
	for k, typ := range mtxSchemas[name] {
		props[k] = typ
	}
	for _, e := range extra {
		for k, typ := range e {
			props[k] = typ
		}
	}
	if len(props) == 0 {
		t.Fatalf("no schema %s", name)
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val, present := obj[k]
		if !present {
			t.Errorf("%s: %s has no %q", what, name, k)
			continue
		}
		if err := checkType(props[k], val); err != "" {
			t.Errorf("%s: %s.%s: %s (got %#v)", what, name, k, err, val)
		}
	}
	if name == "Path" {
		if src, ok := obj["source"].(map[string]any); ok {
			checkSchema(t, what+" source", "PathSource", src)
		}
		for _, r := range asList(obj["readers"]) {
			checkSchema(t, what+" reader", "PathReader", r)
		}
		for _, tr := range asList(obj["tracks2"]) {
			checkSchema(t, what+" track", "PathTrack", tr)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// checkType returns what is wrong with val for typ ("" when nothing).
func checkType(typ string, val any) string {
	nullable := strings.HasSuffix(typ, "?")
	typ = strings.TrimSuffix(typ, "?")
	if val == nil {
		if nullable {
			return ""
		}
		return "null, want " + typ
	}
	switch {
	case typ == "string":
		if _, ok := val.(string); !ok {
			return "want a string"
		}
	case typ == "uuid":
		if s, ok := val.(string); !ok || !uuidRE.MatchString(s) {
			return "want a UUID"
		}
	case typ == "time":
		s, ok := val.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); !ok || err != nil {
			return "want an RFC 3339 time"
		}
	case typ == "integer":
		n, ok := val.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			if _, err := strconv.ParseUint(n.String(), 10, 64); !ok || err != nil {
				return "want an integer"
			}
		}
	case typ == "number":
		if _, ok := val.(json.Number); !ok {
			return "want a number"
		}
	case typ == "boolean":
		if _, ok := val.(bool); !ok {
			return "want a boolean"
		}
	case typ == "array":
		if _, ok := val.([]any); !ok {
			return "want an array"
		}
	case typ == "object":
		if _, ok := val.(map[string]any); !ok {
			return "want an object"
		}
	case strings.HasPrefix(typ, "enum:"):
		s, _ := val.(string)
		for _, e := range strings.Split(strings.TrimPrefix(typ, "enum:"), "|") {
			if s == e {
				return ""
			}
		}
		return "want one of " + strings.TrimPrefix(typ, "enum:")
	default:
		return "unknown schema type " + typ
	}
	return ""
}

// checkList checks a paginated list (itemCount, pageCount, items) whose
// items are item objects, and returns the items.
func checkList(t testing.TB, what, item, body string, extra ...map[string]string) []map[string]any {
	t.Helper()
	v := decodeJSON(t, what, body)
	obj, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: want an object, got %q", what, body)
	}
	for _, k := range []string{"itemCount", "pageCount"} {
		if err := checkType("integer", obj[k]); err != "" {
			t.Errorf("%s: %s: %s (got %#v)", what, k, err, obj[k])
		}
	}
	items, ok := obj["items"].([]any)
	if !ok {
		t.Fatalf("%s: items: want an array, got %q", what, body)
	}
	var out []map[string]any
	for i, it := range items {
		checkSchema(t, what+" item "+strconv.Itoa(i), item, it, extra...)
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
