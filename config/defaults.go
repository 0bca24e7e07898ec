package config

import (
	"time"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// Default returns a configuration holding every default, as MediaMTX has them
// where MediaMTX has the key.
func Default() *Conf {
	c := &Conf{
		LogLevel:        "info",
		LogFormat:       "text",
		LogDestinations: LogDestinations{LogToStdout},
		LogFile:         "mediamtx.log",
		SysLogPrefix:    "streamgate",
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
		ShutdownTimeout: 10 * time.Second,

		MaxConnections:      10000,
		MaxConnectionsPerIP: 1000,

		AuthMethod: AuthMethods{"internal"},
		AuthInternalUsers: []User{
			anyUser(nil, authz.ActionPublish, authz.ActionRead, authz.ActionPlayback),
			anyUser([]string{"127.0.0.1", "::1"}, authz.ActionAPI, authz.ActionMetrics, authz.ActionPprof),
		},
		AuthHTTPTimeout: 5 * time.Second,
		AuthHTTPExclude: []Permission{
			mustPermission(authz.ActionAPI), mustPermission(authz.ActionMetrics), mustPermission(authz.ActionPprof),
		},
		AuthJWTClaimKey: "mediamtx_permissions",
		AuthJWTLeeway:   30 * time.Second,
		AuthEtcd: Etcd{
			EtcdConnection: EtcdConnection{DialTimeout: 30 * time.Second},
			Prefix:         "/users",
			DataFormat:     "json",
			LeaseTimeout:   60 * time.Second,
			Permissions:    []Permission{mustPermission(authz.ActionGateway), mustPermission(authz.ActionPublish)},
		},
		AuthCache: Cache{Size: 10000, TTL: 5 * time.Minute},
		AuthQuarantine: Quarantine{FailedAttemptLimit: 3, Period: 60 * time.Second, IPFailedAttemptLimit: 50,
			UserFailedAttemptLimit: 10, TrustedAddresses: 4, TrustedPeriod: 24 * time.Hour, MaxTracked: 100000},
		AuthRealm:  "streamgate",
		AuthTokens: Tokens{Enabled: true, RefreshInterval: 60 * time.Second},

		API:                 true,
		APIAddress:          ":9997",
		APIServerKey:        "server.key",
		APIServerCert:       "server.crt",
		APIAllowOrigins:     []string{"*"},
		MetricsAddress:      ":9998",
		MetricsServerKey:    "server.key",
		MetricsServerCert:   "server.crt",
		MetricsAllowOrigins: []string{"*"},
		PprofAddress:        ":9999",
		PprofServerKey:      "server.key",
		PprofServerCert:     "server.crt",
		PprofAllowOrigins:   []string{"*"},

		RTSP:            true,
		RTSPTransports:  []string{"udp", "multicast", "tcp"},
		RTSPEncryption:  "no",
		RTSPAddress:     ":8554",
		RTSPServerKey:   "server.key",
		RTSPServerCert:  "server.crt",
		RTSPSAddress:    ":8322",
		RTPAddress:      ":8000",
		RTCPAddress:     ":8001",
		RTSPAuthMethods: []string{"basic"},

		RTMP:           true,
		RTMPAddress:    ":1935",
		RTMPEncryption: "no",
		RTMPSAddress:   ":1936",
		RTMPServerKey:  "server.key",
		RTMPServerCert: "server.crt",

		HLS:                true,
		HLSAddress:         ":8888",
		HLSServerKey:       "server.key",
		HLSServerCert:      "server.crt",
		HLSAllowOrigins:    []string{"*"},
		HLSVariant:         "lowLatency",
		HLSSegmentCount:    7,
		HLSSegmentDuration: time.Second,
		HLSPartDuration:    200 * time.Millisecond,
		HLSSegmentMaxSize:  50 << 20,
		HLSMuxerCloseAfter: 60 * time.Second,

		WebRTC:                   true,
		WebRTCAddress:            ":8889",
		WebRTCServerKey:          "server.key",
		WebRTCServerCert:         "server.crt",
		WebRTCAllowOrigins:       []string{"*"},
		WebRTCLocalUDPAddress:    ":8189",
		WebRTCIPsFromInterfaces:  true,
		WebRTCHandshakeTimeout:   10 * time.Second,
		WebRTCTrackGatherTimeout: 2 * time.Second,
		WebRTCSTUNGatherTimeout:  5 * time.Second,

		SRT:        true,
		SRTAddress: ":8890",

		GatewayAddress:     ":8080",
		GatewayServerKey:   "server.key",
		GatewayServerCert:  "server.crt",
		GatewayMaxBodySize: 16 << 20,
		// 16 bodies of the largest size, 2 500 of 100 KB frames.
		GatewayMaxBodiesInFlight: 256 << 20,

		Savant: Savant{
			SendTimeout:       time.Second,
			SendRetries:       3,
			ReceiveTimeout:    time.Second,
			ReceiveRetries:    3,
			SendHWM:           1000,
			ReceiveHWM:        1000,
			FixIPCPermissions: 0o777,
			ProtocolVersion:   "1.15.1",
			QueueSize:         1000,
		},

		Cluster: Cluster{
			Etcd:               EtcdConnection{DialTimeout: 30 * time.Second},
			Prefix:             "/streamgate/cluster",
			LeaseTTL:           10 * time.Second,
			QuarantineInterval: time.Second,
		},

		PathDefaults: Path{
			PathSource: PathSource{
				Source:                     "publisher",
				SourceOnDemandStartTimeout: 10 * time.Second,
				SourceOnDemandCloseAfter:   10 * time.Second,
				RTSPTransport:              "automatic",
			},
			PathHooks: PathHooks{
				RunOnDemandStartTimeout: 10 * time.Second,
				RunOnDemandCloseAfter:   10 * time.Second,
			},
		},
	}
	return c
}

// DefaultTokenActions are the actions of a token verification that lists
// none: playback only.
var DefaultTokenActions = []string{string(authz.ActionRead), string(authz.ActionPlayback)}

// IsEnabled reports whether the verification is on: Enabled, yes when
// not set (seed 003).
func (v *TokenVerification) IsEnabled() bool { return v.Enabled == nil || *v.Enabled }

func anyUser(ips []string, actions ...authz.Action) User {
	u := User{User: Credential{Raw: "any", Secret: mustSecret("any")}}
	for _, ip := range ips {
		p, _ := authz.ParseNetwork(ip)
		u.IPs = append(u.IPs, Network{Prefix: p})
	}
	for _, a := range actions {
		u.Permissions = append(u.Permissions, mustPermission(a))
	}
	return u
}

func mustSecret(s string) hash.Secret {
	sec, err := hash.ParseSecret(s)
	if err != nil {
		panic(err)
	}
	return sec
}

func mustPermission(a authz.Action) Permission {
	p, err := authz.CompilePermission(string(a), "")
	if err != nil {
		panic(err)
	}
	return Permission{Permission: p, RawAction: string(a)}
}
