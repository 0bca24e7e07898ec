package conns

import "time"

// Who is the identity an entry authenticated as, added to every item:
// MediaMTX's user, and the backend that recognised it (internal, http,
// jwt, etcd, token, …). Never a password or a token.
type Who struct {
	// User is the user name; empty for an anonymous identity.
	User string `json:"user"`
	// AuthBackend is the authentication backend that answered.
	AuthBackend string `json:"authBackend"`
}

// Bytes are the byte counters of an item, under MediaMTX's current names
// and its deprecated ones (still read by older dashboards).
type Bytes struct {
	// InboundBytes is what the peer sent.
	InboundBytes uint64 `json:"inboundBytes"`
	// OutboundBytes is what was sent to the peer.
	OutboundBytes uint64 `json:"outboundBytes"`
	// BytesReceived is InboundBytes (deprecated name).
	BytesReceived uint64 `json:"bytesReceived"`
	// BytesSent is OutboundBytes (deprecated name).
	BytesSent uint64 `json:"bytesSent"`
}

// MakeBytes fills both names.
func MakeBytes(in, out uint64) Bytes {
	return Bytes{InboundBytes: in, OutboundBytes: out, BytesReceived: in, BytesSent: out}
}

// Entry are the fields every connection and session item starts with.
type Entry struct {
	// ID identifies the item (a UUID).
	ID string `json:"id"`
	// Created is when the connection or session started.
	Created time.Time `json:"created"`
	// RemoteAddr is the client's address and port.
	RemoteAddr string `json:"remoteAddr"`
}

// Activity is what a connection or session does, after its Entry.
type Activity struct {
	// State is idle, read or publish.
	State string `json:"state"`
	// Path is the path read or published.
	Path string `json:"path"`
	// Query is the request's query, every value masked (Query).
	Query string `json:"query"`
}

// Authenticated records, once the client is authenticated, what it does
// (read, or publish) and on which path, with the query masked (Query).
func (a *Activity) Authenticated(publish bool, path, query string) {
	a.State = "read"
	if publish {
		a.State = "publish"
	}
	a.Path, a.Query = path, Query(query)
}

// RTSPConn is an item of /v3/rtspconns and /v3/rtspsconns.
type RTSPConn struct {
	Entry
	// Session is the ID of the session the connection serves, if any.
	Session *string `json:"session"`
	// Tunnel is none, http or websocket.
	Tunnel string `json:"tunnel"`
	Bytes
	Who
}

// RTSPSession is an item of /v3/rtspsessions and /v3/rtspssessions.
type RTSPSession struct {
	Entry
	Activity
	// Transport is UDP, UDP-multicast or TCP once set up.
	Transport *string `json:"transport"`
	// Profile is AVP or SAVP once set up.
	Profile *string `json:"profile"`
	// Conns are the IDs of the session's connections.
	Conns []string `json:"conns"`
	// UserAgent is the client's User-Agent, if it sent one.
	UserAgent string `json:"userAgent"`
	Bytes
	RTPStats
	Who
}

// RTPStats are the RTP/RTCP counters of an RTSP or WebRTC session, under
// MediaMTX's current names (Inbound…, Outbound…: packets received from and
// sent to the peer, lost, in error, jitter) and its deprecated ones
// (RTPPackets…, RTCPPackets…). Each field is the gortsplib/pion counter of
// the same name.
type RTPStats struct {
	InboundRTPPackets              uint64  `json:"inboundRTPPackets"`
	InboundRTPPacketsLost          uint64  `json:"inboundRTPPacketsLost"`
	InboundRTPPacketsInError       uint64  `json:"inboundRTPPacketsInError"`
	InboundRTPPacketsJitter        float64 `json:"inboundRTPPacketsJitter"`
	InboundRTCPPackets             uint64  `json:"inboundRTCPPackets"`
	InboundRTCPPacketsInError      uint64  `json:"inboundRTCPPacketsInError"`
	OutboundRTPPackets             uint64  `json:"outboundRTPPackets"`
	OutboundRTPPacketsReportedLost uint64  `json:"outboundRTPPacketsReportedLost"`
	OutboundRTPPacketsDiscarded    uint64  `json:"outboundRTPPacketsDiscarded"`
	OutboundRTCPPackets            uint64  `json:"outboundRTCPPackets"`
	RTPPacketsReceived             uint64  `json:"rtpPacketsReceived"`
	RTPPacketsSent                 uint64  `json:"rtpPacketsSent"`
	RTPPacketsLost                 uint64  `json:"rtpPacketsLost"`
	RTPPacketsInError              uint64  `json:"rtpPacketsInError"`
	RTPPacketsJitter               float64 `json:"rtpPacketsJitter"`
	RTCPPacketsReceived            uint64  `json:"rtcpPacketsReceived"`
	RTCPPacketsSent                uint64  `json:"rtcpPacketsSent"`
	RTCPPacketsInError             uint64  `json:"rtcpPacketsInError"`
}

// RTMPConn is an item of /v3/rtmpconns and /v3/rtmpsconns.
type RTMPConn struct {
	Entry
	Activity
	// UserAgent is the client's User-Agent, if it sent one.
	UserAgent string `json:"userAgent"`
	Bytes
	// OutboundFramesDiscarded counts frames dropped for a slow client (not reported: 0).
	OutboundFramesDiscarded uint64 `json:"outboundFramesDiscarded"`
	Who
}

// SRTConn is an item of /v3/srtconns.
type SRTConn struct {
	Entry
	Activity
	SRTStats
	// OutboundFramesDiscarded counts frames dropped for a slow client (not reported: 0).
	OutboundFramesDiscarded uint64 `json:"outboundFramesDiscarded"`
	Who
}

// SRTStats are the SRT library's statistics of a connection, under
// MediaMTX's names: each field is the gosrt Statistics counter of the same
// meaning (libsrt's SRT_TRACEBSTATS: packets, bytes, rates, buffers).
type SRTStats struct {
	PacketsSent              uint64 `json:"packetsSent"`
	PacketsReceived          uint64 `json:"packetsReceived"`
	PacketsSentUnique        uint64 `json:"packetsSentUnique"`
	PacketsReceivedUnique    uint64 `json:"packetsReceivedUnique"`
	PacketsSendLoss          uint64 `json:"packetsSendLoss"`
	PacketsReceivedLoss      uint64 `json:"packetsReceivedLoss"`
	PacketsRetrans           uint64 `json:"packetsRetrans"`
	PacketsReceivedRetrans   uint64 `json:"packetsReceivedRetrans"`
	PacketsSentACK           uint64 `json:"packetsSentACK"`
	PacketsReceivedACK       uint64 `json:"packetsReceivedACK"`
	PacketsSentNAK           uint64 `json:"packetsSentNAK"`
	PacketsReceivedNAK       uint64 `json:"packetsReceivedNAK"`
	PacketsSentKM            uint64 `json:"packetsSentKM"`
	PacketsReceivedKM        uint64 `json:"packetsReceivedKM"`
	UsSndDuration            uint64 `json:"usSndDuration"`
	PacketsReceivedBelated   uint64 `json:"packetsReceivedBelated"`
	PacketsSendDrop          uint64 `json:"packetsSendDrop"`
	PacketsReceivedDrop      uint64 `json:"packetsReceivedDrop"`
	PacketsReceivedUndecrypt uint64 `json:"packetsReceivedUndecrypt"`
	// BytesSent is OutboundBytes (deprecated name).
	BytesSent                     uint64  `json:"bytesSent"`
	BytesReceived                 uint64  `json:"bytesReceived"`
	BytesSentUnique               uint64  `json:"bytesSentUnique"`
	BytesReceivedUnique           uint64  `json:"bytesReceivedUnique"`
	BytesReceivedLoss             uint64  `json:"bytesReceivedLoss"`
	BytesRetrans                  uint64  `json:"bytesRetrans"`
	BytesReceivedRetrans          uint64  `json:"bytesReceivedRetrans"`
	BytesReceivedBelated          uint64  `json:"bytesReceivedBelated"`
	BytesSendDrop                 uint64  `json:"bytesSendDrop"`
	BytesReceivedDrop             uint64  `json:"bytesReceivedDrop"`
	BytesReceivedUndecrypt        uint64  `json:"bytesReceivedUndecrypt"`
	UsPacketsSendPeriod           float64 `json:"usPacketsSendPeriod"`
	PacketsFlowWindow             uint64  `json:"packetsFlowWindow"`
	PacketsFlightSize             uint64  `json:"packetsFlightSize"`
	MsRTT                         float64 `json:"msRTT"`
	MbpsSendRate                  float64 `json:"mbpsSendRate"`
	MbpsReceiveRate               float64 `json:"mbpsReceiveRate"`
	MbpsLinkCapacity              float64 `json:"mbpsLinkCapacity"`
	BytesAvailSendBuf             uint64  `json:"bytesAvailSendBuf"`
	BytesAvailReceiveBuf          uint64  `json:"bytesAvailReceiveBuf"`
	MbpsMaxBW                     float64 `json:"mbpsMaxBW"`
	ByteMSS                       uint64  `json:"byteMSS"`
	PacketsSendBuf                uint64  `json:"packetsSendBuf"`
	BytesSendBuf                  uint64  `json:"bytesSendBuf"`
	MsSendBuf                     uint64  `json:"msSendBuf"`
	MsSendTsbPdDelay              uint64  `json:"msSendTsbPdDelay"`
	PacketsReceiveBuf             uint64  `json:"packetsReceiveBuf"`
	BytesReceiveBuf               uint64  `json:"bytesReceiveBuf"`
	MsReceiveBuf                  uint64  `json:"msReceiveBuf"`
	MsReceiveTsbPdDelay           uint64  `json:"msReceiveTsbPdDelay"`
	PacketsReorderTolerance       uint64  `json:"packetsReorderTolerance"`
	PacketsReceivedAvgBelatedTime uint64  `json:"packetsReceivedAvgBelatedTime"`
	PacketsSendLossRate           float64 `json:"packetsSendLossRate"`
	PacketsReceivedLossRate       float64 `json:"packetsReceivedLossRate"`
}

// WebRTCSession is an item of /v3/webrtcsessions. Its ID is not the
// secret of the session's WHEP URL.
type WebRTCSession struct {
	Entry
	// PeerConnectionEstablished: ICE and DTLS are up.
	PeerConnectionEstablished bool `json:"peerConnectionEstablished"`
	// LocalCandidate is the selected local ICE candidate (type/protocol/ip/port).
	LocalCandidate string `json:"localCandidate"`
	// RemoteCandidate is the selected remote ICE candidate.
	RemoteCandidate string `json:"remoteCandidate"`
	// State is read or publish.
	State string `json:"state"`
	// Path is the path read or published.
	Path string `json:"path"`
	// Query is the request's query, every value masked (Query).
	Query string `json:"query"`
	// UserAgent is the client's User-Agent, if it sent one.
	UserAgent string `json:"userAgent"`
	Bytes
	RTPStats
	// OutboundFramesDiscarded counts frames dropped for a slow client (not reported: 0).
	OutboundFramesDiscarded uint64 `json:"outboundFramesDiscarded"`
	Who
}

// HLSSession is an item of /v3/hlssessions: one viewer (user × client
// address × stream) of an HLS stream.
type HLSSession struct {
	// Entry: Created is when the viewer's first request was served;
	// RemoteAddr is the client's address (HLS has no connection to name).
	Entry
	// Path is the path read.
	Path string `json:"path"`
	// Query is the first request's query, every value masked (Query).
	Query string `json:"query"`
	// UserAgent is the first request's User-Agent.
	UserAgent string `json:"userAgent"`
	// IsCDN is MediaMTX's CDN flag (streamgate does not tell CDNs apart: false).
	IsCDN bool `json:"isCDN"`
	// OutboundBytes is not counted per viewer (0; see HLSMuxer).
	OutboundBytes uint64 `json:"outboundBytes"`
	Who
}

// HLSMuxer is an item of /v3/hlsmuxers (one per path being served).
type HLSMuxer struct {
	// Path is the path read or published.
	Path string `json:"path"`
	// Created is when the connection or session started.
	Created time.Time `json:"created"`
	// LastRequest is when a client last asked for a playlist or segment.
	LastRequest time.Time `json:"lastRequest"`
	// OutboundBytes is what was sent to the peer.
	OutboundBytes uint64 `json:"outboundBytes"`
	// BytesSent is OutboundBytes (deprecated name).
	BytesSent uint64 `json:"bytesSent"`
	// OutboundFramesDiscarded counts frames dropped for a slow client (not reported: 0).
	OutboundFramesDiscarded uint64 `json:"outboundFramesDiscarded"`
}
