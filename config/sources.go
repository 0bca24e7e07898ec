package config

import "time"

// PathSource says where a path's stream comes from: "publisher" (a client
// pushes it) or a URL streamgate pulls (MediaMTX's keys and semantics). A
// source URL may hold credentials: it is redacted wherever it is shown.
type PathSource struct {
	// Source is "publisher", or the URL of a stream to pull: rtsp://,
	// rtsps://, rtmp://, rtmps://, srt://, http(s):// (HLS), udp://,
	// udp+mpegts://, whep://, wheps://, or "redirect".
	Source string `yaml:"source"`
	// SourceFingerprint pins the SHA-256 fingerprint of the source's TLS certificate.
	SourceFingerprint string `yaml:"sourceFingerprint"`
	// SourceOnDemand pulls the source only while an authenticated reader reads the path.
	SourceOnDemand bool `yaml:"sourceOnDemand"`
	// SourceOnDemandStartTimeout bounds how long a reader waits for an on-demand source.
	SourceOnDemandStartTimeout time.Duration `yaml:"sourceOnDemandStartTimeout"`
	// SourceOnDemandCloseAfter is how long an on-demand source stays after its last reader.
	SourceOnDemandCloseAfter time.Duration `yaml:"sourceOnDemandCloseAfter"`
	// SourceRedirect is where readers are sent when Source is "redirect" (RTSP only).
	SourceRedirect string `yaml:"sourceRedirect"`
	// RTSPTransport is the transport of an RTSP source: automatic, udp, multicast or tcp.
	RTSPTransport string `yaml:"rtspTransport"`
	// RTSPAnyPort accepts an RTSP source's packets from any port.
	RTSPAnyPort bool `yaml:"rtspAnyPort"`
	// RTSPRangeType is the Range of an RTSP source's PLAY: clock, npt, smpte or empty.
	RTSPRangeType string `yaml:"rtspRangeType"`
	// RTSPRangeStart is the start of that Range.
	RTSPRangeStart string `yaml:"rtspRangeStart"`
}
