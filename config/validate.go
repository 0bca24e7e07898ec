package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/redact"
	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

// validate checks what single values cannot: ranges, enumerations, keys that
// depend on each other, and files that must exist. Errors name the key and
// the line that set it.
func validate(d *decoder, c *Conf) {
	oneOf(d, "logLevel", c.LogLevel, "debug", "info", "warn", "error")
	oneOf(d, "logFormat", c.LogFormat, "text", "json")
	validateLogging(d, c)
	positive(d, "readTimeout", c.ReadTimeout)
	positive(d, "writeTimeout", c.WriteTimeout)
	positive(d, "shutdownTimeout", c.ShutdownTimeout)
	if c.MaxConnections < 0 {
		d.errAt("maxConnections", "must be ≥ 0 (0: no limit), got %d", c.MaxConnections)
	}
	if c.MaxConnectionsPerIP < 0 {
		d.errAt("maxConnectionsPerIP", "must be ≥ 0 (0: no limit), got %d", c.MaxConnectionsPerIP)
	}
	validateAuth(d, c)
	validateListeners(d, c)
	validateSavant(d, c)
	validateCluster(d, c)
	validatePaths(d, c)
	validateWebRTCICE(d, c)
}

// validateWebRTCICE checks the ICE servers and timeouts of the WebRTC
// listener.
func validateWebRTCICE(d *decoder, c *Conf) {
	positive(d, "webrtcHandshakeTimeout", c.WebRTCHandshakeTimeout)
	positive(d, "webrtcTrackGatherTimeout", c.WebRTCTrackGatherTimeout)
	positive(d, "webrtcSTUNGatherTimeout", c.WebRTCSTUNGatherTimeout)
	for i, s := range c.WebRTCICEServers2 {
		key := fmt.Sprintf("webrtcICEServers2[%d]", i)
		scheme, rest, _ := strings.Cut(s.URL, ":")
		switch {
		case scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns" || rest == "":
			d.errAt(key+".url", "must be stun:, stuns:, turn: or turns:HOST[:PORT], got %q", redact.URL(s.URL))
		case strings.HasPrefix(scheme, "turn") && (s.Username == "" || s.Password == ""):
			d.errAt(key+".username", "a TURN server needs a username and a password (AUTH_SECRET and the shared secret for time-limited credentials)")
		}
	}
}

func validateAuth(d *decoder, c *Conf) {
	for i := range c.AuthInternalUsers {
		u := &c.AuthInternalUsers[i]
		key := fmt.Sprintf("authInternalUsers[%d]", i)
		switch {
		case !u.User.IsSet():
			d.errAt(key+".user", "must be set (use any for anonymous access)")
		case u.IsAny() && u.Pass.IsSet():
			d.errAt(key+".pass", "must be empty for the any user (any accepts every password)")
		case !u.IsAny() && !u.Pass.IsSet():
			d.errAt(key+".pass", "must be set for a named user (an empty password would accept anything)")
		}
	}
	if c.AuthMethod.Has("http") {
		checkURL(d, "authHTTPAddress", c.AuthHTTPAddress, true)
	}
	positive(d, "authHTTPTimeout", c.AuthHTTPTimeout)
	if c.AuthMethod.Has("jwt") {
		checkURL(d, "authJWTJWKS", c.AuthJWTJWKS, true)
	}
	if c.AuthJWTClaimKey == "" {
		d.errAt("authJWTClaimKey", "must not be empty")
	}
	if c.AuthJWTLeeway > time.Minute {
		d.errAt("authJWTLeeway", "must be at most 60s, got %s", c.AuthJWTLeeway)
	}
	fingerprint(d, "authHTTPFingerprint", c.AuthHTTPFingerprint)
	fingerprint(d, "authJWTJWKSFingerprint", c.AuthJWTJWKSFingerprint)
	if c.AuthMethod.Has("etcd") {
		validateEtcd(d, &c.AuthEtcd)
	}
	if c.AuthMethod.Has("token") {
		validateTokens(d, &c.AuthTokens)
	}
	if c.AuthCache.Usage.Period < 0 || c.AuthCache.Usage.EvictedThreshold < 0 {
		d.errAt("authCache.usage", "period and evictedThreshold must be ≥ 0 (0 disables the warning)")
	}
	if c.AuthCache.Size < 0 {
		d.errAt("authCache.size", "must be ≥ 0 (0 disables the cache), got %d", c.AuthCache.Size)
	}
	if c.AuthCache.Size > 0 {
		positive(d, "authCache.ttl", c.AuthCache.TTL)
	}
	q := c.AuthQuarantine
	if q.FailedAttemptLimit < 0 {
		d.errAt("authQuarantine.failedAttemptLimit", "must be ≥ 0 (0 disables), got %d", q.FailedAttemptLimit)
	}
	if q.IPFailedAttemptLimit < 0 {
		d.errAt("authQuarantine.ipFailedAttemptLimit", "must be ≥ 0 (0 disables), got %d", q.IPFailedAttemptLimit)
	}
	if q.UserFailedAttemptLimit < 0 {
		d.errAt("authQuarantine.userFailedAttemptLimit", "must be ≥ 0 (0 disables), got %d", q.UserFailedAttemptLimit)
	}
	if q.TrustedAddresses < 0 || q.TrustedAddresses > 64 {
		d.errAt("authQuarantine.trustedAddresses", "must be from 0 to 64, got %d", q.TrustedAddresses)
	}
	if q.TrustedAddresses > 0 {
		positive(d, "authQuarantine.trustedPeriod", q.TrustedPeriod)
	}
	if q.FailedAttemptLimit > 0 || q.IPFailedAttemptLimit > 0 || q.UserFailedAttemptLimit > 0 {
		positive(d, "authQuarantine.period", q.Period)
		if q.MaxTracked < 1 {
			d.errAt("authQuarantine.maxTracked", "must be ≥ 1, got %d", q.MaxTracked)
		}
	}
	if c.AuthRealm == "" || strings.ContainsAny(c.AuthRealm, "\"\\\r\n") {
		d.errAt("authRealm", "must be a non-empty name without quotes, backslashes or line breaks")
	}
	if c.AuthArgon2Concurrency < 0 || c.AuthArgon2Concurrency > 1024 {
		d.errAt("authArgon2Concurrency", "must be from 0 (the number of CPUs) to 1024, got %d", c.AuthArgon2Concurrency)
	}
	if c.AuthPass.IsSet() && c.AuthUser == "" {
		d.errAt("authPass", "authUser must be set too")
	}
}

// fingerprint checks a SHA-256 certificate fingerprint: 64 hex digits,
// colons allowed (openssl x509 -fingerprint -sha256 prints it so).
func fingerprint(d *decoder, key, v string) {
	if v == "" {
		return
	}
	h := strings.ReplaceAll(strings.TrimSpace(v), ":", "")
	if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
		d.errAt(key, "must be a SHA-256 fingerprint (64 hex digits, colons allowed)")
	}
}

func validateEtcd(d *decoder, e *Etcd) {
	if len(e.Endpoints) == 0 {
		d.errAt("authEtcd.endpoints", "must list at least one URL when authMethod includes etcd")
	}
	validateEtcdConnection(d, "authEtcd", &e.EtcdConnection)
	oneOf(d, "authEtcd.dataFormat", e.DataFormat, "json", "yaml")
	if !strings.HasPrefix(e.Prefix, "/") {
		d.errAt("authEtcd.prefix", "must begin with /, got %q", e.Prefix)
	}
}

// validateEtcdConnection checks the keys that say how to reach etcd, under
// the section key (authEtcd, cluster.etcd).
func validateEtcdConnection(d *decoder, key string, e *EtcdConnection) {
	for i, ep := range e.Endpoints {
		checkURL(d, fmt.Sprintf("%s.endpoints[%d]", key, i), ep, true)
	}
	positive(d, key+".dialTimeout", e.DialTimeout)
	if (e.TLS.Cert == "") != (e.TLS.Key == "") {
		d.errAt(key+".tls", "cert and key must be set together")
	}
	for k, f := range map[string]string{"ca": e.TLS.CA, "cert": e.TLS.Cert, "key": e.TLS.Key} {
		fileExists(d, key+".tls."+k, f)
	}
	if e.Password != "" && e.Username == "" {
		d.errAt(key+".password", "username must be set too")
	}
}

func validateTokens(d *decoder, t *Tokens) {
	ids := map[string]bool{}
	if len(t.Secrets) == 0 {
		d.errAt("authTokens.secrets", "must list at least one secret when authMethod includes token")
	}
	for i, s := range t.Secrets {
		key := fmt.Sprintf("authTokens.secrets[%d]", i)
		switch {
		case s.ID == "":
			d.errAt(key+".id", "must be set")
		case ids[s.ID]:
			d.errAt(key+".id", "%q is used twice", s.ID)
		}
		ids[s.ID] = true
		if s.File == "" {
			d.errAt(key+".file", "must be set")
		}
		if s.Encoding == "" {
			t.Secrets[i].Encoding = "raw"
		} else {
			oneOf(d, key+".encoding", s.Encoding, "raw", "hex")
		}
	}
	positive(d, "authTokens.refreshInterval", t.RefreshInterval)
	for i, v := range t.Verifications {
		key := fmt.Sprintf("authTokens.verifications[%d]", i)
		for j, p := range v.Paths {
			if p == "default" {
				continue
			}
			if _, err := authz.CompilePath(p); err != nil {
				d.errAt(fmt.Sprintf("%s.paths[%d]", key, j), "%v", err)
			}
		}
		if len(v.SecretIDs) == 0 {
			d.errAt(key+".secretIds", "must name at least one secret")
		}
		if v.Enabled == nil {
			on := true
			t.Verifications[i].Enabled = &on // shown by the config API as it applies
		}
		switch {
		case v.Actions == nil:
			t.Verifications[i].Actions = append([]string(nil), DefaultTokenActions...)
		case len(v.Actions) == 0:
			d.errAt(key+".actions", "must list at least one action (leave it out for %s)", strings.Join(DefaultTokenActions, ", "))
		}
		for j, a := range v.Actions {
			if _, err := authz.ParseAction(a); err != nil {
				d.errAt(fmt.Sprintf("%s.actions[%d]", key, j), "%v", err)
			}
		}
		for j, id := range v.SecretIDs {
			if !ids[id] {
				d.errAt(fmt.Sprintf("%s.secretIds[%d]", key, j), "no secret has id %q", id)
			}
		}
	}
}

func validateListeners(d *decoder, c *Conf) {
	oneOf(d, "rtspEncryption", c.RTSPEncryption, "no", "strict", "optional")
	oneOf(d, "rtmpEncryption", c.RTMPEncryption, "no", "strict", "optional")
	seen := map[string]string{}
	for _, l := range c.Listeners() {
		if !l.Enabled {
			continue
		}
		port, ok := checkAddress(d, l.AddrKey, l.Addr)
		if ok && port != "0" && l.Name != "srt" { // SRT is UDP: it may share a TCP listener's port
			if other, dup := seen[l.Addr]; dup {
				d.errAt(l.AddrKey, "%s is already used by %s", l.Addr, other)
			}
			seen[l.Addr] = l.AddrKey
		}
		if l.TLS {
			if l.Key == "" {
				d.errAt(l.KeyKey, "must be set when %s is served over TLS", l.Name)
			}
			if l.Cert == "" {
				d.errAt(l.CertKey, "must be set when %s is served over TLS", l.Name)
			}
			fileExists(d, l.KeyKey, l.Key)
			fileExists(d, l.CertKey, l.Cert)
		}
	}
	if c.RTSP {
		for i, t := range c.RTSPTransports {
			oneOf(d, fmt.Sprintf("rtspTransports[%d]", i), t, "udp", "multicast", "tcp")
		}
		if len(c.RTSPTransports) == 0 {
			d.errAt("rtspTransports", "must list at least one of udp, multicast, tcp")
		}
		for i, m := range c.RTSPAuthMethods {
			oneOf(d, fmt.Sprintf("rtspAuthMethods[%d]", i), m, "basic", "digest")
		}
		if len(c.RTSPAuthMethods) == 0 {
			d.errAt("rtspAuthMethods", "must list basic, digest or both")
		}
		if slices.Contains(c.RTSPTransports, "udp") {
			checkAddress(d, "rtpAddress", c.RTPAddress)
			checkAddress(d, "rtcpAddress", c.RTCPAddress)
		}
	}
	if c.HLS {
		oneOf(d, "hlsVariant", c.HLSVariant, "mpegts", "fmp4", "lowLatency")
		if c.HLSSegmentCount < 3 {
			d.errAt("hlsSegmentCount", "must be at least 3, got %d", c.HLSSegmentCount)
		}
		positive(d, "hlsSegmentDuration", c.HLSSegmentDuration)
		positive(d, "hlsPartDuration", c.HLSPartDuration)
	}
	if c.Gateway {
		if c.Savant.URL == "" {
			d.errAt("gateway", "needs savant.url: the gateway forwards to the Savant output")
		}
		if c.GatewayMaxBodySize < 1024 || c.GatewayMaxBodySize > 1<<30 {
			d.errAt("gatewayMaxBodySize", "must be from 1KiB to 1GiB, got %d bytes", c.GatewayMaxBodySize)
		}
		if c.GatewayMaxBodiesInFlight < 2*c.GatewayMaxBodySize {
			d.errAt("gatewayMaxBodiesInFlight", "must be at least twice gatewayMaxBodySize (%d bytes), got %d bytes",
				2*c.GatewayMaxBodySize, c.GatewayMaxBodiesInFlight)
		}
		if c.GatewayClientCA != "" && !c.GatewayEncryption {
			d.errAt("gatewayClientCA", "needs gatewayEncryption: yes")
		}
		if c.GatewayClientCRL && c.GatewayClientCA == "" {
			d.errAt("gatewayClientCRL", "needs gatewayClientCA (where the CRLs are)")
		}
		fileExists(d, "gatewayClientCA", c.GatewayClientCA)
	}
}

func validateSavant(d *decoder, c *Conf) {
	s := &c.Savant
	if s.URL == "" {
		return
	}
	u, err := savanturl.Parse(s.URL)
	if err != nil {
		d.errAt("savant.url", "%v", err)
		return
	}
	if (!u.Bind || u.IPCPath == "") && d.lines["savant.fixIPCPermissions"] != nil {
		d.errAt("savant.fixIPCPermissions", "applies only to a bound ipc socket, not to %s", s.URL)
	}
	positive(d, "savant.sendTimeout", s.SendTimeout)
	positive(d, "savant.receiveTimeout", s.ReceiveTimeout)
	for k, v := range map[string]int{"savant.sendRetries": s.SendRetries, "savant.receiveRetries": s.ReceiveRetries, "savant.sendHWM": s.SendHWM, "savant.receiveHWM": s.ReceiveHWM} {
		if v < 0 {
			d.errAt(k, "must be ≥ 0, got %d", v)
		}
	}
	if s.QueueSize < 1 {
		d.errAt("savant.queueSize", "must be ≥ 1, got %d", s.QueueSize)
	}
	if s.ProtocolVersion == "" {
		d.errAt("savant.protocolVersion", "must be the reader's savant-rs version, such as 1.15.1")
	}
}

func validatePaths(d *decoder, c *Conf) {
	for _, np := range append([]NamedPath{{Name: "", Path: c.PathDefaults}}, c.Paths.List...) {
		key := "pathDefaults"
		if np.Name != "" {
			key = "paths." + np.Name
		}
		validateSource(d, key, &np)
		if np.MaxReaders < 0 {
			d.errAt(key+".maxReaders", "must be ≥ 0 (0 = unlimited), got %d", np.MaxReaders)
		}
		if np.PublishPass.IsSet() && np.PublishUser == "" && c.AuthUser == "" {
			d.errAt(key+".publishPass", "publishUser (or authUser) must be set too")
		}
		if np.ReadPass.IsSet() && np.ReadUser == "" && c.AuthUser == "" {
			d.errAt(key+".readPass", "readUser (or authUser) must be set too")
		}
		for k, p := range map[string]Secret{"srtPublishPassphrase": np.SRTPublishPassphrase, "srtReadPassphrase": np.SRTReadPassphrase} {
			if n := len(p); n != 0 && (n < 10 || n > 79) {
				d.errAt(key+"."+k, "must be 10 to 79 characters (SRT), got %d", n)
			}
		}
	}
}

func oneOf(d *decoder, key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		d.errAt(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

func positive(d *decoder, key string, v time.Duration) {
	if v <= 0 {
		d.errAt(key, "must be > 0")
	}
}

func checkAddress(d *decoder, key, addr string) (port string, ok bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		d.errAt(key, "want host:port or :port, got %q", addr)
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		d.errAt(key, "port must be 0 to 65535, got %q", port)
		return "", false
	}
	return port, true
}

func checkURL(d *decoder, key, s string, required bool) {
	if s == "" {
		if required {
			d.errAt(key, "must be set")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errAt(key, "want an http:// or https:// URL, got %q", s)
	}
}

func fileExists(d *decoder, key, path string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		d.errAt(key, "cannot read %s: %v", path, errorsUnwrapPath(err))
	}
}

func errorsUnwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
