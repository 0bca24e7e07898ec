package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/config"
)

func mustParse(t *testing.T, text string) *config.Conf {
	t.Helper()
	c, err := config.Parse("m.yml", []byte(text), nil)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return c
}

func wantError(t *testing.T, text, want string) {
	t.Helper()
	_, err := config.Parse("m.yml", []byte(text), nil)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%q: error %v, want %q", text, err, want)
	}
}

// TestDeprecatedKeysMapped: MediaMTX's deprecated keys are read into the
// keys that replaced them, converted as MediaMTX converts them.
func TestDeprecatedKeysMapped(t *testing.T) {
	c := mustParse(t, `
protocols: [tcp]
encryption: "no"
serverKey: k.pem
serverCert: c.pem
authMethods: [digest]
rtmpDisable: yes
hlsDisable: no
webrtcDisable: yes
webrtcICEUDPMuxAddress: :9000
webrtcICEHostNAT1To1IPs: [192.0.2.1]
externalAuthenticationURL: http://127.0.0.1:9120/auth
authInternalUsers: []
pathDefaults:
  sourceProtocol: tcp
  sourceAnyPortEnable: yes
  disablePublisherOverride: yes
  playback: yes
paths:
  cam:
    runOnAvailable: echo up
    runOnAvailableRestart: yes
    runOnUnavailable: echo down
  old:
    runOnPublish: echo pub
`)
	for _, got := range []struct {
		key       string
		got, want any
	}{
		{"protocols", c.RTSPTransports, []string{"tcp"}},
		{"encryption", c.RTSPEncryption, "no"},
		{"serverKey", c.RTSPServerKey, "k.pem"},
		{"serverCert", c.RTSPServerCert, "c.pem"},
		{"authMethods", c.RTSPAuthMethods, []string{"digest"}},
		{"rtspDisable (absent)", c.RTSP, true},
		{"rtmpDisable", c.RTMP, false},
		{"hlsDisable", c.HLS, true},
		{"webrtcDisable", c.WebRTC, false},
		{"webrtcICEUDPMuxAddress", c.WebRTCLocalUDPAddress, ":9000"},
		{"webrtcICEHostNAT1To1IPs", c.WebRTCAdditionalHosts, []string{"192.0.2.1"}},
		{"externalAuthenticationURL", c.AuthHTTPAddress, "http://127.0.0.1:9120/auth"},
		{"externalAuthenticationURL method", []string(c.AuthMethod), []string{"http"}},
		{"sourceProtocol", c.PathDefaults.RTSPTransport, "tcp"},
		{"sourceAnyPortEnable", c.PathDefaults.RTSPAnyPort, true},
		{"disablePublisherOverride", c.PathDefaults.OverridePublisher, false},
		{"runOnAvailable", c.Paths.List[0].RunOnReady, "echo up"},
		{"runOnAvailableRestart", c.Paths.List[0].RunOnReadyRestart, true},
		{"runOnUnavailable", c.Paths.List[0].RunOnNotReady, "echo down"},
		{"runOnPublish", c.Paths.List[1].RunOnReady, "echo pub"},
		{"inherited sourceProtocol", c.Paths.List[1].RTSPTransport, "tcp"},
	} {
		if fmt.Sprint(got.got) != fmt.Sprint(got.want) {
			t.Errorf("%s: got %v, want %v", got.key, got.got, got.want)
		}
	}
	if c := mustParse(t, "rtspDisable: yes\nwebrtcDisable: no\n"); c.RTSP || !c.WebRTC {
		t.Errorf("rtspDisable: yes → rtsp %v; webrtcDisable: no → webrtc %v", c.RTSP, c.WebRTC)
	}
	// Empty deprecated keys (as shipped) keep the defaults.
	if c := mustParse(t, "externalAuthenticationURL:\nprotocols:\n"); !slices.Equal(c.AuthMethod, config.AuthMethods{"internal"}) || len(c.RTSPTransports) != 3 {
		t.Errorf("empty deprecated keys changed %v %v", c.AuthMethod, c.RTSPTransports)
	}
	// Problems name the key the file used.
	wantError(t, "protocols: [tcp]\nrtspTransports: [udp]\n", "m.yml:1: protocols: deprecated: set rtspTransports only (both are set)")
	wantError(t, "paths:\n  cam:\n    rtspAnyPort: no\n    sourceAnyPortEnable: yes\n", "m.yml:4: paths.cam.sourceAnyPortEnable: deprecated: set rtspAnyPort only")
	wantError(t, "protocols: [tcp, bogus]\n", "m.yml:1: protocols[1]: must be one of")
	wantError(t, "hlsDisable: maybe\n", `m.yml:1: hlsDisable: want yes or no, got "maybe"`)
	wantError(t, "pathDefaults:\n  playback: sometimes\n", "m.yml:2: pathDefaults.playback: want yes or no")
}

// TestUnsupportedFeatureKeys: a key of a feature streamgate does not have
// loads with MediaMTX's default (in any YAML spelling) and is refused with
// "not supported by streamgate" (not "unknown key") otherwise.
func TestUnsupportedFeatureKeys(t *testing.T) {
	for _, text := range []string{
		"pathDefaults:\n  rpiCameraHFlip: no\n  rpiCameraLensPosition: 0\n  rpiCameraLevel: 4.1\n  rpiCameraROI:\n  rpiCameraAWBGains: [0, 0.0]\n",
		"paths:\n  cam:\n    record: false\n    recordDeleteAfter: 1d\n    recordPath: ./recordings/%path/%Y-%m-%d_%H-%M-%S-%f\n",
		"playback: no\nplaybackAddress: :9996\nmoq: no\nlogDestinations: [stdout]\nwebrtcICEServers2: []\n",
		"webrtcICEServers2:\n- url: stun:stun.l.google.com:19302\n  username: ''\n  password: ''\n",
		"udpMaxPayloadSize: 1472\nwriteQueueSize: 512\nreadBufferCount: 512\n",
		// MediaMTX 1.1: a path's record applies only when the global one is on.
		"record: no\npaths:\n  all:\n    record: yes\n",
		"record: no\npathDefaults:\n  record: yes\n",
	} {
		mustParse(t, text)
	}
	for _, bad := range []struct{ text, want string }{
		{"paths:\n  cam:\n    rpiCameraWidth: 1280\n", "m.yml:3: paths.cam.rpiCameraWidth: the Raspberry Pi camera source is not supported by streamgate; remove the key or set it to MediaMTX's default (1920)"},
		{"pathDefaults:\n  record: yes\n", "m.yml:2: pathDefaults.record: recording to disk is not supported by streamgate"},
		{"record: yes\npaths:\n  all:\n    record: yes\n", "m.yml:1: record: recording to disk is not supported by streamgate"},
		{"playback: yes\n", "m.yml:1: playback: the playback server (recordings) is not supported by streamgate"},
		{"webrtcLocalTCPAddress: :8189\n", "m.yml:1: webrtcLocalTCPAddress: this WebRTC ICE setting is not supported by streamgate"},
		{"multicastIPRange: 239.0.0.0/8\n", "m.yml:1: multicastIPRange: RTSP multicast and SRTP address settings is not supported"},
	} {
		wantError(t, bad.text, bad.want)
	}
	// Every problem is listed, each on its line.
	_, err := config.Parse("m.yml", []byte("pathDefaults:\n  rpiCameraFPS: 60\n  fallback: rtsp://x/y\n  rpiCameraCamID: 1\n"), nil)
	if err == nil || strings.Count(err.Error(), "not supported by streamgate") != 3 {
		t.Errorf("three unsupported keys: %v", err)
	}
}

// TestUnknownKeySuggestion: a misspelled key is an error that suggests the
// nearest key by edit distance, among streamgate's and MediaMTX's keys.
func TestUnknownKeySuggestion(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"rtspAdress: :8554\n", "m.yml:1: rtspAdress: unknown key (did you mean rtspAddress?)"},
		{"authInternalUser: []\n", "m.yml:1: authInternalUser: unknown key (did you mean authInternalUsers?)"},
		{"pathDefaults:\n  sourceOnDemnd: yes\n", "m.yml:2: pathDefaults.sourceOnDemnd: unknown key (did you mean sourceOnDemand?)"},
		{"paths:\n  cam:\n    rpiCameraWidht: 1\n", "m.yml:3: paths.cam.rpiCameraWidht: unknown key (did you mean rpiCameraWidth?)"},
		{"hlsAlowOrigin: '*'\n", "(did you mean hlsAllowOrigin?)"},
		{"authQuarantine:\n  peroid: 1s\n", "m.yml:2: authQuarantine.peroid: unknown key (did you mean period?)"},
	} {
		wantError(t, tc.text, tc.want)
	}
	_, err := config.Parse("m.yml", []byte("zzz: 1\n"), nil)
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("nothing near zzz: %v", err)
	}
}

// TestMergeKeys: YAML anchors and merge keys work; explicit keys override
// merged ones, earlier merged mappings override later ones (YAML 1.1); a
// duplicate explicit key stays an error.
func TestMergeKeys(t *testing.T) {
	c := mustParse(t, `
paths:
  cam1: &cam
    runOnReady: ffmpeg a
    overridePublisher: yes
    runOnDemandCloseAfter: 30s
    maxReaders: 3
  cam2:
    <<: *cam
    runOnReady: ffmpeg b
  cam3:
    maxReaders: 9
    <<: [*cam, {maxReaders: 5, readUser: r}]
`)
	p1, _ := c.Paths.Find("cam1")
	p2, _ := c.Paths.Find("cam2")
	p3, _ := c.Paths.Find("cam3")
	if p2.RunOnReady != "ffmpeg b" || !p2.OverridePublisher || p2.RunOnDemandCloseAfter != 30*time.Second || p2.MaxReaders != 3 {
		t.Errorf("cam2 = %+v", p2.Path)
	}
	if p3.RunOnReady != p1.RunOnReady || p3.MaxReaders != 9 || p3.ReadUser != "r" {
		t.Errorf("cam3: runOnReady %q maxReaders %d readUser %q", p3.RunOnReady, p3.MaxReaders, p3.ReadUser)
	}
	if names := []string{c.Paths.List[0].Name, c.Paths.List[1].Name, c.Paths.List[2].Name}; !slices.Equal(names, []string{"cam1", "cam2", "cam3"}) {
		t.Errorf("path order %v", names)
	}
	for _, bad := range []struct{ text, want string }{
		{"paths:\n  a: &a {maxReaders: 1}\n  b:\n    <<: *a\n    maxReaders: 2\n    maxReaders: 3\n", "m.yml:6: paths.b.maxReaders: duplicate key (first set on line 5)"},
		{"paths:\n  a: &a {maxReaders: 1}\n  b:\n    <<: *a\n    <<: *a\n", "m.yml:5: paths.b: duplicate merge key"},
		{"pathDefaults:\n  <<: [1]\n", "pathDefaults: a merge key (<<) wants a mapping or a list of mappings"},
		{"paths:\n  a: &a {maxReadrs: 1}\n  b:\n    <<: *a\n", "m.yml:2: paths.b.maxReadrs: unknown key (did you mean maxReaders?)"},
		// A merged unsupported feature is still refused.
		{"paths:\n  a: &a {rpiCameraFPS: 5}\n  b: {<<: *a}\n", "paths.b.rpiCameraFPS: the Raspberry Pi camera source is not supported"},
	} {
		wantError(t, bad.text, bad.want)
	}
	// A quoted '<<' is an ordinary (here unknown) key.
	wantError(t, "pathDefaults:\n  '<<': {maxReaders: 1}\n", "m.yml:2: pathDefaults.<<: unknown key")
}

// TestMergeKeyAliasBound: merge keys count toward the alias expansion
// bound, so nested merges cannot blow a small file up.
func TestMergeKeyAliasBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("paths:\n  l0: &l0 {maxReaders: 1, readUser: u, publishUser: p, sourceOnDemand: no}\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [", i, i)
		for j := 0; j < 8; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	_, err := config.Parse("m.yml", []byte(b.String()), nil)
	if err == nil || !strings.Contains(err.Error(), "YAML aliases expand to more than") {
		t.Errorf("err = %v", err)
	}
}
