// Package config is streamgate's one configuration model. It reads the
// MediaMTX YAML dialect (a superset) and the Savant Media Gateway server JSON
// dialect into the same structs, strictly: unknown keys, duplicate keys, bad
// values and out-of-range hashes are errors naming the file, line and key.
// Everything the request path needs — user maps, anchored path regexes,
// decoded and bounded password hashes, label rules — is compiled here, once
// per load.
package config

import (
	"time"
)

// Conf is a whole configuration. Field tags carry the MediaMTX key names.
type Conf struct {
	// LogLevel is the lowest level logged: debug, info, warn or error.
	LogLevel string `yaml:"logLevel"`
	// LogFormat is text (logfmt-style) or json.
	LogFormat string `yaml:"logFormat"`
	// LogDestinations are where the log goes: stdout, file (logFile),
	// syslog (the local syslog daemon).
	LogDestinations LogDestinations `yaml:"logDestinations"`
	// LogStructured is MediaMTX's switch to JSON lines: yes is logFormat:
	// json.
	LogStructured bool `yaml:"logStructured"`
	// LogFile is the file the file destination appends to.
	LogFile string `yaml:"logFile"`
	// SysLogPrefix tags the messages of the syslog destination.
	SysLogPrefix string `yaml:"sysLogPrefix"`
	// ReadTimeout bounds a read from a client.
	ReadTimeout time.Duration `yaml:"readTimeout"`
	// WriteTimeout bounds a write to a client.
	WriteTimeout time.Duration `yaml:"writeTimeout"`
	// ShutdownTimeout bounds how long SIGTERM waits for sessions to drain.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
	// MaxConnections bounds the connections of the whole process, every
	// listener together (SRT callers included); past it a client gets its
	// protocol's busy answer. It is lowered to fit the descriptor limit
	// (RLIMIT_NOFILE less a reserve). 0: no limit.
	MaxConnections int `yaml:"maxConnections"`
	// MaxConnectionsPerIP bounds the connections from one client address,
	// every listener together, so that one address cannot take every
	// descriptor. 0: no limit.
	MaxConnectionsPerIP int `yaml:"maxConnectionsPerIP"`
	// GlobalHooks: runOnConnect, runOnConnectRestart, runOnDisconnect.
	GlobalHooks `yaml:",inline"`

	// AuthMethod is one backend or a list tried in order: internal, http,
	// jwt, etcd, token.
	AuthMethod AuthMethods `yaml:"authMethod"`
	// AuthInternalUsers are the users of the internal backend.
	AuthInternalUsers []User `yaml:"authInternalUsers"`
	// AuthHTTPAddress is the URL the http backend POSTs credentials to.
	AuthHTTPAddress string `yaml:"authHTTPAddress"`
	// AuthHTTPTimeout bounds one call to the http backend.
	AuthHTTPTimeout time.Duration `yaml:"authHTTPTimeout"`
	// AuthHTTPFingerprint pins the SHA-256 fingerprint of the auth server's TLS certificate.
	AuthHTTPFingerprint string `yaml:"authHTTPFingerprint"`
	// AuthHTTPExclude lists permissions the http backend is not asked about.
	AuthHTTPExclude []Permission `yaml:"authHTTPExclude"`
	// AuthJWTJWKS is the URL of the JWKS that verifies JWTs.
	AuthJWTJWKS string `yaml:"authJWTJWKS"`
	// AuthJWTJWKSFingerprint pins the SHA-256 fingerprint of the JWKS server's TLS certificate.
	AuthJWTJWKSFingerprint string `yaml:"authJWTJWKSFingerprint"`
	// AuthJWTClaimKey is the claim that holds the permissions.
	AuthJWTClaimKey string `yaml:"authJWTClaimKey"`
	// AuthJWTExclude lists permissions the jwt backend is not asked about.
	AuthJWTExclude []Permission `yaml:"authJWTExclude"`
	// AuthJWTInHTTPQuery accepts a JWT from ?jwt= / ?token= on HTTP listeners.
	AuthJWTInHTTPQuery bool `yaml:"authJWTInHTTPQuery"`
	// AuthJWTIssuer, when set, must equal the token's iss.
	AuthJWTIssuer string `yaml:"authJWTIssuer"`
	// AuthJWTAudience, when set, must be among the token's aud.
	AuthJWTAudience string `yaml:"authJWTAudience"`
	// AuthJWTLeeway is the clock skew allowed on exp and nbf (at most 60s).
	AuthJWTLeeway time.Duration `yaml:"authJWTLeeway"`
	// AuthEtcd configures the etcd user store.
	AuthEtcd Etcd `yaml:"authEtcd"`
	// AuthCache configures the decision cache.
	AuthCache Cache `yaml:"authCache"`
	// AuthQuarantine configures the quarantine of failing users and addresses.
	AuthQuarantine Quarantine `yaml:"authQuarantine"`
	// AuthRealm is sent in every WWW-Authenticate challenge.
	AuthRealm string `yaml:"authRealm"`
	// AuthArgon2Concurrency bounds how many argon2 verifications run at once
	// (0 = the number of CPUs).
	AuthArgon2Concurrency int `yaml:"authArgon2Concurrency"`
	// AuthTokens configures signed URL tokens (seed 003).
	AuthTokens Tokens `yaml:"authTokens"`
	// AuthUser is the global user of the precedence backend (seed 004).
	AuthUser string `yaml:"authUser"`
	// AuthPass is the global password of the precedence backend (seed 004).
	AuthPass Password `yaml:"authPass"`

	// API enables the control API listener.
	API bool `yaml:"api"`
	// APIAddress is the API listener's address.
	APIAddress string `yaml:"apiAddress"`
	// APIEncryption serves the API over HTTPS.
	APIEncryption bool `yaml:"apiEncryption"`
	// APIServerKey is the API's TLS key file.
	APIServerKey string `yaml:"apiServerKey"`
	// APIServerCert is the API's TLS certificate file.
	APIServerCert string `yaml:"apiServerCert"`
	// APIAllowOrigins are the CORS origins allowed on the API: one listed by
	// name gets credentials, '*' any origin without them (httpauth.CORS).
	APIAllowOrigins []string `yaml:"apiAllowOrigins"`
	// APITrustedProxies may set X-Forwarded-For on the API.
	APITrustedProxies []Network `yaml:"apiTrustedProxies"`
	// APIUser overrides authUser for the API (seed 004).
	APIUser string `yaml:"apiUser"`
	// APIPass overrides authPass for the API (seed 004).
	APIPass Password `yaml:"apiPass"`

	// Metrics enables the Prometheus listener.
	Metrics bool `yaml:"metrics"`
	// MetricsAddress is the metrics listener's address.
	MetricsAddress string `yaml:"metricsAddress"`
	// MetricsEncryption serves metrics over HTTPS.
	MetricsEncryption bool `yaml:"metricsEncryption"`
	// MetricsServerKey is the metrics TLS key file.
	MetricsServerKey string `yaml:"metricsServerKey"`
	// MetricsServerCert is the metrics TLS certificate file.
	MetricsServerCert string `yaml:"metricsServerCert"`
	// MetricsAllowOrigins are the CORS origins allowed on metrics: one listed by
	// name gets credentials, '*' any origin without them (httpauth.CORS).
	MetricsAllowOrigins []string `yaml:"metricsAllowOrigins"`
	// MetricsTrustedProxies may set X-Forwarded-For on metrics.
	MetricsTrustedProxies []Network `yaml:"metricsTrustedProxies"`
	// MetricsUser overrides authUser for metrics (seed 004).
	MetricsUser string `yaml:"metricsUser"`
	// MetricsPass overrides authPass for metrics (seed 004).
	MetricsPass Password `yaml:"metricsPass"`

	// Pprof enables the Go profiler listener.
	Pprof bool `yaml:"pprof"`
	// PprofAddress is the pprof listener's address.
	PprofAddress string `yaml:"pprofAddress"`
	// PprofEncryption serves pprof over HTTPS.
	PprofEncryption bool `yaml:"pprofEncryption"`
	// PprofServerKey is the pprof TLS key file.
	PprofServerKey string `yaml:"pprofServerKey"`
	// PprofServerCert is the pprof TLS certificate file.
	PprofServerCert string `yaml:"pprofServerCert"`
	// PprofAllowOrigins are the CORS origins allowed on pprof: one listed by
	// name gets credentials, '*' any origin without them (httpauth.CORS).
	PprofAllowOrigins []string `yaml:"pprofAllowOrigins"`
	// PprofTrustedProxies may set X-Forwarded-For on pprof.
	PprofTrustedProxies []Network `yaml:"pprofTrustedProxies"`
	// PprofUser overrides authUser for pprof (seed 004).
	PprofUser string `yaml:"pprofUser"`
	// PprofPass overrides authPass for pprof (seed 004).
	PprofPass Password `yaml:"pprofPass"`

	// PlaybackUser overrides authUser for playback (seed 004).
	PlaybackUser string `yaml:"playbackUser"`
	// PlaybackPass overrides authPass for playback (seed 004).
	PlaybackPass Password `yaml:"playbackPass"`

	// RTSP enables the RTSP listener.
	RTSP bool `yaml:"rtsp"`
	// RTSPTransports are the transports offered: udp, multicast, tcp.
	RTSPTransports []string `yaml:"rtspTransports"`
	// RTSPEncryption is no, strict (RTSPS only) or optional (both).
	RTSPEncryption string `yaml:"rtspEncryption"`
	// RTSPAddress is the plain RTSP listener's TCP address.
	RTSPAddress string `yaml:"rtspAddress"`
	// RTSPSAddress is the RTSPS listener's TCP address.
	RTSPSAddress string `yaml:"rtspsAddress"`
	// RTPAddress is the UDP address for RTP.
	RTPAddress string `yaml:"rtpAddress"`
	// RTCPAddress is the UDP address for RTCP.
	RTCPAddress string `yaml:"rtcpAddress"`
	// RTSPServerKey is the RTSPS key file.
	RTSPServerKey string `yaml:"rtspServerKey"`
	// RTSPServerCert is the RTSPS certificate file.
	RTSPServerCert string `yaml:"rtspServerCert"`
	// RTSPAuthMethods are the challenge schemes offered: basic, digest.
	RTSPAuthMethods []string `yaml:"rtspAuthMethods"`

	// RTMP enables the RTMP listener.
	RTMP bool `yaml:"rtmp"`
	// RTMPAddress is the plain RTMP listener's address.
	RTMPAddress string `yaml:"rtmpAddress"`
	// RTMPEncryption is no, strict (RTMPS only) or optional (both).
	RTMPEncryption string `yaml:"rtmpEncryption"`
	// RTMPSAddress is the RTMPS listener's address.
	RTMPSAddress string `yaml:"rtmpsAddress"`
	// RTMPServerKey is the RTMPS key file.
	RTMPServerKey string `yaml:"rtmpServerKey"`
	// RTMPServerCert is the RTMPS certificate file.
	RTMPServerCert string `yaml:"rtmpServerCert"`

	// HLS enables the HLS listener.
	HLS bool `yaml:"hls"`
	// HLSAddress is the HLS listener's address.
	HLSAddress string `yaml:"hlsAddress"`
	// HLSEncryption serves HLS over HTTPS.
	HLSEncryption bool `yaml:"hlsEncryption"`
	// HLSServerKey is the HLS TLS key file.
	HLSServerKey string `yaml:"hlsServerKey"`
	// HLSServerCert is the HLS TLS certificate file.
	HLSServerCert string `yaml:"hlsServerCert"`
	// HLSAllowOrigins are the CORS origins allowed on HLS: one listed by
	// name gets credentials, '*' any origin without them (httpauth.CORS).
	HLSAllowOrigins []string `yaml:"hlsAllowOrigins"`
	// HLSTrustedProxies may set X-Forwarded-For on HLS.
	HLSTrustedProxies []Network `yaml:"hlsTrustedProxies"`
	// HLSAlwaysRemux starts muxers when a stream is published, not on first read.
	HLSAlwaysRemux bool `yaml:"hlsAlwaysRemux"`
	// HLSVariant is mpegts, fmp4 or lowLatency.
	HLSVariant string `yaml:"hlsVariant"`
	// HLSSegmentCount is how many segments the playlist keeps.
	HLSSegmentCount int `yaml:"hlsSegmentCount"`
	// HLSSegmentDuration is the minimum segment duration.
	HLSSegmentDuration time.Duration `yaml:"hlsSegmentDuration"`
	// HLSPartDuration is the Low-Latency HLS part duration.
	HLSPartDuration time.Duration `yaml:"hlsPartDuration"`
	// HLSSegmentMaxSize caps one segment (bytes).
	HLSSegmentMaxSize ByteSize `yaml:"hlsSegmentMaxSize"`
	// HLSMuxerCloseAfter closes an idle muxer after this long without readers.
	HLSMuxerCloseAfter time.Duration `yaml:"hlsMuxerCloseAfter"`

	// WebRTC enables the WebRTC (WHEP) listener.
	WebRTC bool `yaml:"webrtc"`
	// WebRTCAddress is the WebRTC HTTP listener's address.
	WebRTCAddress string `yaml:"webrtcAddress"`
	// WebRTCEncryption serves the WebRTC HTTP side over HTTPS.
	WebRTCEncryption bool `yaml:"webrtcEncryption"`
	// WebRTCServerKey is the WebRTC TLS key file.
	WebRTCServerKey string `yaml:"webrtcServerKey"`
	// WebRTCServerCert is the WebRTC TLS certificate file.
	WebRTCServerCert string `yaml:"webrtcServerCert"`
	// WebRTCAllowOrigins are the CORS origins allowed on WHEP: one listed by
	// name gets credentials, '*' any origin without them (httpauth.CORS).
	WebRTCAllowOrigins []string `yaml:"webrtcAllowOrigins"`
	// WebRTCTrustedProxies may set X-Forwarded-For on WHEP.
	WebRTCTrustedProxies []Network `yaml:"webrtcTrustedProxies"`
	// WebRTCLocalUDPAddress is the UDP address for ICE traffic.
	WebRTCLocalUDPAddress string `yaml:"webrtcLocalUDPAddress"`
	// WebRTCIPsFromInterfaces advertises the host's interface addresses as candidates.
	WebRTCIPsFromInterfaces bool `yaml:"webrtcIPsFromInterfaces"`
	// WebRTCAdditionalHosts are extra host candidates to advertise.
	WebRTCAdditionalHosts []string `yaml:"webrtcAdditionalHosts"`
	// WebRTCIPsFromInterfacesList limits webrtcIPsFromInterfaces to these
	// interfaces (names); empty: every interface.
	WebRTCIPsFromInterfacesList []string `yaml:"webrtcIPsFromInterfacesList"`
	// WebRTCICEServers2 are the STUN/TURN servers of the server's peer
	// connections (WHEP, WHIP, whep(s):// sources) and of authenticated
	// clients (pages, Link headers).
	WebRTCICEServers2 []WebRTCICEServer `yaml:"webrtcICEServers2"`
	// WebRTCHandshakeTimeout bounds ICE gathering and the ICE+DTLS handshake.
	WebRTCHandshakeTimeout time.Duration `yaml:"webrtcHandshakeTimeout"`
	// WebRTCTrackGatherTimeout is how long a WHIP publisher's tracks may
	// take to arrive once connected.
	WebRTCTrackGatherTimeout time.Duration `yaml:"webrtcTrackGatherTimeout"`
	// WebRTCSTUNGatherTimeout bounds the wait for STUN (server-reflexive)
	// candidates.
	WebRTCSTUNGatherTimeout time.Duration `yaml:"webrtcSTUNGatherTimeout"`

	// SRT enables the SRT listener.
	SRT bool `yaml:"srt"`
	// SRTAddress is the SRT listener's UDP address.
	SRTAddress string `yaml:"srtAddress"`

	// Gateway enables the Savant Media Gateway-compatible ingest (POST /).
	Gateway bool `yaml:"gateway"`
	// GatewayAddress is the gateway listener's address.
	GatewayAddress string `yaml:"gatewayAddress"`
	// GatewayEncryption serves the gateway over HTTPS.
	GatewayEncryption bool `yaml:"gatewayEncryption"`
	// GatewayServerKey is the gateway's TLS key file.
	GatewayServerKey string `yaml:"gatewayServerKey"`
	// GatewayServerCert is the gateway's TLS certificate file.
	GatewayServerCert string `yaml:"gatewayServerCert"`
	// GatewayClientCA, when set, requires client certificates signed by a CA
	// of this PEM file or directory (every file in it, as the Media Gateway's
	// OpenSSL lookup_hash_directory: HASH.N certificates, HASH.rN CRLs),
	// re-read when it changes.
	GatewayClientCA string `yaml:"gatewayClientCA"`
	// GatewayClientCRL checks client certificates against the CRLs found in
	// gatewayClientCA (the Media Gateway's tls.peers.crl_enabled): a revoked
	// certificate, or one whose issuer has no CRL there or only an expired
	// one, fails the handshake.
	GatewayClientCRL bool `yaml:"gatewayClientCRL"`
	// GatewayMaxBodySize caps a POST body (bytes, or 16MiB style).
	GatewayMaxBodySize ByteSize `yaml:"gatewayMaxBodySize"`
	// GatewayMaxBodiesInFlight bounds the memory (bytes of buffer) that the
	// bodies of all gateway requests being read or forwarded hold together;
	// past it a request gets 503 with Retry-After. At least twice
	// gatewayMaxBodySize (a growing buffer briefly holds old and new).
	GatewayMaxBodiesInFlight ByteSize `yaml:"gatewayMaxBodiesInFlight"`
	// GatewayUser overrides authUser for the gateway (seed 004).
	GatewayUser string `yaml:"gatewayUser"`
	// GatewayPass overrides authPass for the gateway (seed 004).
	GatewayPass Password `yaml:"gatewayPass"`

	// Savant configures the ZeroMQ output in Savant's wire format; it is
	// off while savant.url is empty.
	Savant Savant `yaml:"savant"`

	// Cluster joins instances sharing one etcd into a fleet (off by default).
	Cluster Cluster `yaml:"cluster"`

	// PathDefaults are the settings every path starts from.
	PathDefaults Path `yaml:"pathDefaults"`
	// Paths are the configured paths, in file order: exact names, ~regex
	// names, and all_others.
	Paths Paths `yaml:"paths"`

	// src is what the configuration was decoded from, for edits through
	// the control API (edit.go); nil for the gateway JSON dialect.
	src *source

	// Warnings are problems of the load that are not errors (an MTX_
	// variable naming no key): the daemon logs them. Not a key.
	Warnings []string `yaml:"-" json:"-"`
}

// Cache configures the decision cache (authCache).
type Cache struct {
	// Size is how many decisions are kept (0 disables the cache).
	Size int `yaml:"size"`
	// TTL is how long a decision is kept.
	TTL time.Duration `yaml:"ttl"`
	// Usage warns (in the log) of a cache too small for its load, as the
	// Media Gateway's cache usage tracker (auth.basic.cache.usage).
	Usage CacheUsage `yaml:"usage"`
}

// CacheUsage is authCache.usage: a warning when the cache evicts
// EvictedThreshold decisions or more within Period (0 in either: off).
type CacheUsage struct {
	// Period is the window evictions are counted in.
	Period time.Duration `yaml:"period"`
	// EvictedThreshold is how many evictions within Period warn.
	EvictedThreshold int `yaml:"evictedThreshold"`
}

// Quarantine configures authQuarantine. Failures are counted once per
// distinct credentials (the same wrong password again is no new attempt);
// an address from which a name logged in successfully within TrustedPeriod
// is exempt from that name's UserFailedAttemptLimit and from the address's
// IPFailedAttemptLimit (README "Quarantine").
type Quarantine struct {
	// FailedAttemptLimit failures of one user name from one client address
	// within Period quarantine that name from that address for Period
	// (0 disables).
	FailedAttemptLimit int `yaml:"failedAttemptLimit"`
	// Period is the window and the length of a quarantine.
	Period time.Duration `yaml:"period"`
	// IPFailedAttemptLimit failures from one client address (IPv6: /64),
	// whatever the names, within Period quarantine that address for Period,
	// except for names that logged in from it recently (0 disables).
	IPFailedAttemptLimit int `yaml:"ipFailedAttemptLimit"`
	// UserFailedAttemptLimit failures of one user name from all addresses
	// within Period quarantine that name for Period, except from the
	// addresses it logged in from recently (0 disables).
	UserFailedAttemptLimit int `yaml:"userFailedAttemptLimit"`
	// TrustedAddresses is how many addresses of a name's recent successful
	// logins are remembered (0: none, no exemption).
	TrustedAddresses int `yaml:"trustedAddresses"`
	// TrustedPeriod is how long after a successful login its address stays
	// trusted for that name.
	TrustedPeriod time.Duration `yaml:"trustedPeriod"`
	// MaxTracked bounds each table (name × address, names, addresses, names
	// with trusted addresses). A full table does not evict entries still
	// counting: new keys are not tracked until old ones expire.
	MaxTracked int `yaml:"maxTracked"`
}

// Etcd configures the etcd user store (authEtcd).
type Etcd struct {
	// EtcdConnection says how to reach etcd.
	EtcdConnection `yaml:",inline"`
	// Prefix is the key prefix; a user's key is Prefix/NAME.
	Prefix string `yaml:"prefix"`
	// DataFormat is json or yaml.
	DataFormat string `yaml:"dataFormat"`
	// LeaseTimeout is accepted from the Media Gateway dialect (lease_timeout).
	LeaseTimeout time.Duration `yaml:"leaseTimeout"`
	// CacheSize is accepted from the Media Gateway dialect (auth.basic.etcd.cache.size).
	CacheSize int `yaml:"cacheSize"`
	// Permissions are granted to etcd users whose record has no
	// "permissions" of its own.
	Permissions []Permission `yaml:"permissions"`
}

// EtcdConnection is how to reach etcd: shared by authEtcd and cluster.etcd.
type EtcdConnection struct {
	// Endpoints are the etcd client URLs.
	Endpoints []string `yaml:"endpoints"`
	// TLS holds the CA and client certificate files.
	TLS EtcdTLS `yaml:"tls"`
	// Username authenticates to etcd.
	Username string `yaml:"username"`
	// Password authenticates to etcd.
	Password Secret `yaml:"password"`
	// DialTimeout bounds connecting to etcd.
	DialTimeout time.Duration `yaml:"dialTimeout"`
}

// EtcdTLS holds the files for a TLS connection to etcd.
type EtcdTLS struct {
	// CA is the CA certificate file (PEM).
	CA string `yaml:"ca"`
	// Cert is the client certificate file (PEM).
	Cert string `yaml:"cert"`
	// Key is the client key file (PEM).
	Key string `yaml:"key"`
}

// Tokens configures signed URL tokens (seed 003).
type Tokens struct {
	// Enabled switches secret polling; verification stays on (seed 003).
	Enabled bool `yaml:"enabled"`
	// Secrets are the secret files.
	Secrets []TokenSecret `yaml:"secrets"`
	// RefreshInterval is how often secret files are re-read.
	RefreshInterval time.Duration `yaml:"refreshInterval"`
	// Verifications bind secrets to paths.
	Verifications []TokenVerification `yaml:"verifications"`
}

// TokenSecret is one secret file.
type TokenSecret struct {
	// ID names the secret for verifications.
	ID string `yaml:"id"`
	// File holds the secret: the whole file, trailing white space ignored.
	File string `yaml:"file"`
	// Encoding is raw (the bytes) or hex (decoded, as EdgeAuth keys are).
	Encoding string `yaml:"encoding"`
}

// TokenVerification binds secrets to paths.
type TokenVerification struct {
	// Name names the verification in logs and metrics.
	Name string `yaml:"name"`
	// Enabled switches this verification; not set means yes (seed 003).
	Enabled *bool `yaml:"enabled"`
	// Actions are what a token this verification accepts may do (default
	// read, playback). A token never grants an action not listed here:
	// api, metrics, pprof, gateway and publish only when listed.
	Actions []string `yaml:"actions"`
	// Paths are the path patterns (the "accounts") this verification applies to.
	Paths []string `yaml:"paths"`
	// ExcludedIPs are client networks that pass without a token, for
	// Actions only.
	ExcludedIPs []Network `yaml:"excludedIPs"`
	// SecretIDs are the secrets that may verify a token.
	SecretIDs []string `yaml:"secretIds"`
}

// Savant configures the ZeroMQ writer.
type Savant struct {
	// URL is Savant's socket syntax: [pub|req|dealer+bind|connect:]ipc://… or tcp://…
	URL string `yaml:"url"`
	// SendTimeout bounds one send attempt.
	SendTimeout time.Duration `yaml:"sendTimeout"`
	// SendRetries is how many times a blocked send is retried.
	SendRetries int `yaml:"sendRetries"`
	// ReceiveTimeout bounds one wait for an acknowledgement.
	ReceiveTimeout time.Duration `yaml:"receiveTimeout"`
	// ReceiveRetries is how many times an acknowledgement is waited for.
	ReceiveRetries int `yaml:"receiveRetries"`
	// SendHWM is the ZeroMQ send high-water mark.
	SendHWM int `yaml:"sendHWM"`
	// ReceiveHWM is the ZeroMQ receive high-water mark.
	ReceiveHWM int `yaml:"receiveHWM"`
	// FixIPCPermissions is the mode given to a bound ipc socket file (octal).
	FixIPCPermissions FileMode `yaml:"fixIPCPermissions"`
	// ProtocolVersion must equal the reader's savant-rs version.
	ProtocolVersion string `yaml:"protocolVersion"`
	// QueueSize bounds the messages waiting for the socket.
	QueueSize int `yaml:"queueSize"`
}

// WebRTCICEServer is one entry of webrtcICEServers2 (MediaMTX's fields).
type WebRTCICEServer struct {
	// URL is stun:host:port, turn:host:port or turns:host:port.
	URL string `yaml:"url"`
	// Username is the TURN user; AUTH_SECRET makes Password a TURN REST
	// shared secret (coturn's use-auth-secret): clients get time-limited
	// credentials derived from it.
	Username string `yaml:"username"`
	// Password is the TURN password or shared secret.
	Password Secret `yaml:"password"`
	// ClientOnly hands the server to clients only.
	ClientOnly bool `yaml:"clientOnly"`
}
