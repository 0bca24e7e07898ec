package config_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/config"
)

const twoUsers = `authInternalUsers:
- user: alice
  pass: alicepass
  permissions:
  - action: publish
- user: any
  permissions:
  - action: read
paths:
  cam1:
    savantLabels: [file]
`

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		env   []string
		check func(t *testing.T, c *config.Conf)
	}{
		{
			name: "MTX_RTSPADDRESS",
			env:  []string{"MTX_RTSPADDRESS=:18554"},
			check: func(t *testing.T, c *config.Conf) {
				if c.RTSPAddress != ":18554" {
					t.Errorf("rtspAddress = %q", c.RTSPAddress)
				}
			},
		},
		{
			name: "MTX_AUTHQUARANTINE_PERIOD",
			text: "authQuarantine:\n  failedAttemptLimit: 5\n  period: 10s\n",
			env:  []string{"MTX_AUTHQUARANTINE_PERIOD=2m"},
			check: func(t *testing.T, c *config.Conf) {
				q := c.AuthQuarantine
				if q.Period != 2*time.Minute || q.FailedAttemptLimit != 5 || q.IPFailedAttemptLimit != 50 {
					t.Errorf("authQuarantine = %+v, want period 2m, the file's limit 5 and the default ip limit 50", q)
				}
			},
		},
		{
			name: "MTX_AUTHINTERNALUSERS_0_PASS existing user",
			text: twoUsers,
			env:  []string{"MTX_AUTHINTERNALUSERS_0_PASS=fromenv"},
			check: func(t *testing.T, c *config.Conf) {
				u := c.AuthInternalUsers[0]
				if u.User.Raw != "alice" || !u.Pass.Secret.Verify("fromenv") || u.Pass.Secret.Verify("alicepass") {
					t.Errorf("user 0 = %q / %q, want alice with the password from env", u.User.Raw, u.Pass.Raw)
				}
				if len(u.Permissions) != 1 || u.Permissions[0].Action != "publish" {
					t.Errorf("user 0 permissions = %+v, want the file's", u.Permissions)
				}
				if len(c.AuthInternalUsers) != 2 {
					t.Errorf("%d users, want 2", len(c.AuthInternalUsers))
				}
			},
		},
		{
			name: "MTX_AUTHINTERNALUSERS_2 new entry",
			text: twoUsers,
			env: []string{
				"MTX_AUTHINTERNALUSERS_2_USER=carol",
				"MTX_AUTHINTERNALUSERS_2_PASS=" + hash.SHA256("carolpass"),
				"MTX_AUTHINTERNALUSERS_2_IPS=127.0.0.1,10.0.0.0/8",
				`MTX_AUTHINTERNALUSERS_2_LABELS={"and":[{"set":"cam"},{"not":{"set":"private"}}]}`,
			},
			check: func(t *testing.T, c *config.Conf) {
				if len(c.AuthInternalUsers) != 3 {
					t.Fatalf("%d users, want 3", len(c.AuthInternalUsers))
				}
				u := c.AuthInternalUsers[2]
				if u.User.Raw != "carol" || !u.Pass.Secret.Verify("carolpass") {
					t.Errorf("user 2 = %q, want carol/carolpass", u.User.Raw)
				}
				if len(u.IPs) != 2 || u.IPs[1].String() != "10.0.0.0/8" {
					t.Errorf("user 2 ips = %v", u.IPs)
				}
				if u.Labels.Rule == nil || !u.Labels.Rule.Allows([]string{"cam"}) || u.Labels.Rule.Allows([]string{"cam", "private"}) {
					t.Errorf("user 2 labels = %v", u.Labels.Rule)
				}
				if c.AuthInternalUsers[0].User.Raw != "alice" || !c.AuthInternalUsers[1].IsAny() {
					t.Error("the file's users changed")
				}
			},
		},
		{
			name: "permissions by index",
			text: twoUsers + "authHTTPExclude:\n- action: api\n",
			env: []string{
				"MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTION=read",
				"MTX_AUTHINTERNALUSERS_0_PERMISSIONS_1_ACTION=publish",
				"MTX_AUTHINTERNALUSERS_0_PERMISSIONS_1_PATH=~^cam[0-9]$",
				"MTX_AUTHHTTPEXCLUDE_1_ACTION=gateway",
			},
			check: func(t *testing.T, c *config.Conf) {
				ps := c.AuthInternalUsers[0].Permissions
				if len(ps) != 2 || ps[0].Action != "read" || !ps[0].Path.Match("x") || ps[1].Action != "publish" || !ps[1].Path.Match("cam1") || ps[1].Path.Match("cam10") {
					t.Errorf("permissions = %+v", ps)
				}
				if ex := c.AuthHTTPExclude; len(ex) != 2 || ex[1].RawAction != "gateway" || ex[0].RawAction != "api" {
					t.Errorf("authHTTPExclude = %+v", ex)
				}
			},
		},
		{
			name: "MTX_RTSPTRANSPORTS list",
			env:  []string{"MTX_RTSPTRANSPORTS=tcp,udp"},
			check: func(t *testing.T, c *config.Conf) {
				if !slices.Equal(c.RTSPTransports, []string{"tcp", "udp"}) {
					t.Errorf("rtspTransports = %v", c.RTSPTransports)
				}
			},
		},
		{
			name: "MTX_PATHS_CAM1_SAVANTLABELS existing path",
			text: twoUsers,
			env:  []string{"MTX_PATHS_CAM1_SAVANTLABELS=a, b"},
			check: func(t *testing.T, c *config.Conf) {
				np, ok := c.Paths.Find("cam1")
				if !ok || !slices.Equal(np.SavantLabels, []string{"a", "b"}) {
					t.Errorf("cam1 = %+v, %v; want savantLabels [a b]", np, ok)
				}
				if len(c.Paths.List) != 1 {
					t.Errorf("%d paths, want 1", len(c.Paths.List))
				}
			},
		},
		{
			name: "MTX_PATHS_CAM2_SAVANTLABELS new path",
			env:  []string{"MTX_PATHS_CAM2_SAVANTLABELS=x"},
			check: func(t *testing.T, c *config.Conf) {
				np, ok := c.Paths.Find("cam2")
				if !ok || !slices.Equal(np.SavantLabels, []string{"x"}) || np.Source != "publisher" {
					t.Errorf("cam2 = %+v, %v; want savantLabels [x] over the defaults", np, ok)
				}
			},
		},
		{
			name: "STREAMGATE_ wins over MTX_",
			env:  []string{"STREAMGATE_RTSPADDRESS=:2222", "MTX_RTSPADDRESS=:1111"},
			check: func(t *testing.T, c *config.Conf) {
				if c.RTSPAddress != ":2222" {
					t.Errorf("rtspAddress = %q, want STREAMGATE_'s :2222", c.RTSPAddress)
				}
			},
		},
		{
			name: "STREAMGATE_ wins whatever the order",
			env:  []string{"MTX_LOGLEVEL=debug", "STREAMGATE_LOGLEVEL=warn", "MTX_LOGLEVEL=error"},
			check: func(t *testing.T, c *config.Conf) {
				if c.LogLevel != "warn" {
					t.Errorf("logLevel = %q, want warn", c.LogLevel)
				}
			},
		},
		{
			name: "hook variables and unknown MTX_ variables change nothing",
			env:  []string{"MTX_PATH=cam1", "MTX_QUERY=a=b", "MTX_CONN_TYPE=rtspConn", "MTX_NOSUCHKEY=1", "MTX_=x", "STREAMGATE_CONFIG=/etc/x.yml", "RTSP_PORT=8554"},
			check: func(t *testing.T, c *config.Conf) {
				if len(c.Paths.List) != 0 {
					t.Errorf("paths = %+v, want none", c.Paths.List)
				}
			},
		},
		{
			name: "other variables are ignored",
			env:  []string{"PATH=/usr/bin", "HOME=/root", "RTSPADDRESS=:1"},
			check: func(t *testing.T, c *config.Conf) {
				if c.RTSPAddress != ":8554" {
					t.Errorf("rtspAddress = %q", c.RTSPAddress)
				}
			},
		},
		{
			name: "bool and method list",
			env:  []string{"MTX_RTMP=no", "MTX_AUTHMETHOD=internal,http", "MTX_AUTHHTTPADDRESS=http://127.0.0.1:9/auth"},
			check: func(t *testing.T, c *config.Conf) {
				if c.RTMP || !slices.Equal([]string(c.AuthMethod), []string{"internal", "http"}) {
					t.Errorf("rtmp = %v, authMethod = %v", c.RTMP, c.AuthMethod)
				}
			},
		},
		{
			name: "nested struct in pathDefaults and savant",
			env:  []string{"MTX_PATHDEFAULTS_MAXREADERS=7", "MTX_SAVANT_URL=pub+bind:ipc:///tmp/env.sock", "MTX_SAVANT_FIXIPCPERMISSIONS=0700"},
			check: func(t *testing.T, c *config.Conf) {
				if c.PathDefaults.MaxReaders != 7 || c.Savant.URL != "pub+bind:ipc:///tmp/env.sock" || c.Savant.FixIPCPermissions != 0o700 {
					t.Errorf("maxReaders = %d, savant = %+v", c.PathDefaults.MaxReaders, c.Savant)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("env.yml", []byte(tt.text), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestEnvOverridesGatewayJSON(t *testing.T) {
	doc := strings.Replace(minimalGatewayJSON, "%s", "pub+bind:ipc:///tmp/x", 1)
	c, err := config.ParseGatewayJSON("gw.json", []byte(doc), []string{"MTX_GATEWAYMAXBODYSIZE=1MiB", "STREAMGATE_LOGLEVEL=debug"})
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayMaxBodySize != 1<<20 || c.LogLevel != "debug" {
		t.Errorf("gatewayMaxBodySize = %d, logLevel = %q", c.GatewayMaxBodySize, c.LogLevel)
	}
}

// defaultUsers is the default authInternalUsers, for comparison.
func defaultUsers(t *testing.T) []config.User {
	t.Helper()
	c, err := config.Parse("defaults.yml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.AuthInternalUsers
}

func permActions(ps []config.Permission) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.RawAction)
	}
	return out
}

// TestEnvOverDefaults: an override of a list item the file does not set
// changes that item of the default list, field by field, as MediaMTX does
// (it used to replace the list with one user without permissions).
func TestEnvOverDefaults(t *testing.T) {
	defaults := defaultUsers(t)
	if len(defaults) != 2 {
		t.Fatalf("%d default users, want 2", len(defaults))
	}
	t.Run("user 0 renamed keeps its permissions", func(t *testing.T) {
		c, err := config.Parse("noauth.yml", []byte("rtspAddress: :8554\n"), []string{
			"MTX_AUTHINTERNALUSERS_0_USER=alice", "MTX_AUTHINTERNALUSERS_0_PASS=secret1"})
		if err != nil {
			t.Fatal(err)
		}
		us := c.AuthInternalUsers
		if len(us) != 2 {
			t.Fatalf("%d users, want the 2 defaults", len(us))
		}
		if us[0].User.Raw != "alice" || !us[0].Pass.Secret.Verify("secret1") {
			t.Errorf("user 0 = %q, want alice with the password from env", us[0].User.Raw)
		}
		if got, want := permActions(us[0].Permissions), permActions(defaults[0].Permissions); !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("user 0 permissions = %v, want the default user 0's %v", got, want)
		}
		if !us[1].IsAny() || len(us[1].IPs) != 2 || !slices.Equal(permActions(us[1].Permissions), permActions(defaults[1].Permissions)) {
			t.Errorf("user 1 = %+v, want the default user 1", us[1])
		}
		if len(c.Warnings) != 0 {
			t.Errorf("warnings %v", c.Warnings)
		}
	})
	t.Run("a permission's path changes, its action stays", func(t *testing.T) {
		c, err := config.Parse("noauth.yml", nil, []string{"MTX_AUTHINTERNALUSERS_1_PERMISSIONS_0_PATH=~^cam[0-9]$"})
		if err != nil {
			t.Fatal(err)
		}
		p := c.AuthInternalUsers[1].Permissions
		if len(p) != 3 || p[0].RawAction != "api" || p[0].RawPath != "~^cam[0-9]$" || !p[0].Path.Match("cam1") || p[0].Path.Match("x") {
			t.Errorf("user 1 permissions = %+v", p)
		}
		if c.AuthInternalUsers[0].User.Raw != "any" {
			t.Error("user 0 changed")
		}
	})
	t.Run("the next index appends a user", func(t *testing.T) {
		c, err := config.Parse("noauth.yml", nil, []string{
			"MTX_AUTHINTERNALUSERS_2_USER=carol", "MTX_AUTHINTERNALUSERS_2_PASS=carolpass",
			"MTX_AUTHINTERNALUSERS_2_PERMISSIONS_0_ACTION=read"})
		if err != nil {
			t.Fatal(err)
		}
		us := c.AuthInternalUsers
		if len(us) != 3 || us[2].User.Raw != "carol" || !slices.Equal(permActions(us[2].Permissions), []string{"read"}) {
			t.Fatalf("users = %+v, want the 2 defaults and carol", us)
		}
		if !us[0].IsAny() || !us[1].IsAny() {
			t.Error("the default users changed")
		}
	})
	t.Run("an index past a gap is ignored with a warning", func(t *testing.T) {
		c, err := config.Parse("noauth.yml", nil, []string{"MTX_AUTHINTERNALUSERS_5_USER=eve", "MTX_AUTHINTERNALUSERS_5_PASS=x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.AuthInternalUsers) != 2 {
			t.Errorf("%d users, want the 2 defaults", len(c.AuthInternalUsers))
		}
		if len(c.Warnings) != 2 || !strings.Contains(c.Warnings[0], "MTX_AUTHINTERNALUSERS_5_PASS") ||
			!strings.Contains(c.Warnings[0], "authInternalUsers has 2 items and no variable sets item 2") {
			t.Errorf("warnings = %q", c.Warnings)
		}
	})
	t.Run("an empty value empties the list", func(t *testing.T) {
		c, err := config.Parse("noauth.yml", []byte("authMethod: http\nauthHTTPAddress: http://127.0.0.1:9/auth\n"), []string{"MTX_AUTHINTERNALUSERS=", "MTX_AUTHHTTPEXCLUDE="})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.AuthInternalUsers) != 0 || len(c.AuthHTTPExclude) != 0 {
			t.Errorf("users = %+v, authHTTPExclude = %+v, want none", c.AuthInternalUsers, c.AuthHTTPExclude)
		}
	})
	t.Run("a nested default list (authEtcd.permissions)", func(t *testing.T) {
		c, err := config.Parse("etcd.yml", []byte("authEtcd:\n  prefix: /u\n"), []string{"MTX_AUTHETCD_PERMISSIONS_1_ACTION=read"})
		if err != nil {
			t.Fatal(err)
		}
		if got := permActions(c.AuthEtcd.Permissions); !slices.Equal(got, []string{"gateway", "read"}) || c.AuthEtcd.Prefix != "/u" {
			t.Errorf("authEtcd = %v %q, want [gateway read] /u", got, c.AuthEtcd.Prefix)
		}
	})
	t.Run("a file list set empty gets new items", func(t *testing.T) {
		c, err := config.Parse("nulls.yml", []byte("authHTTPExclude:\n"), []string{"MTX_AUTHHTTPEXCLUDE_0_ACTION=pprof"})
		if err != nil {
			t.Fatal(err)
		}
		if got := permActions(c.AuthHTTPExclude); !slices.Equal(got, []string{"pprof"}) {
			t.Errorf("authHTTPExclude = %v, want [pprof]", got)
		}
	})
	t.Run("an aliased list item changes at the use the variable names", func(t *testing.T) {
		text := "authHTTPExclude:\n- &p {action: api}\n- *p\n"
		c, err := config.Parse("anchor.yml", []byte(text), []string{"MTX_AUTHHTTPEXCLUDE_1_PATH=cam"})
		if err != nil {
			t.Fatal(err)
		}
		ex := c.AuthHTTPExclude
		if len(ex) != 2 || ex[0].RawAction != "api" || ex[0].RawPath != "" || ex[1].RawAction != "api" || ex[1].RawPath != "cam" {
			t.Errorf("authHTTPExclude = %+v, want api and api on cam", ex)
		}
	})
	t.Run("an anchored list changes at the use the variable names", func(t *testing.T) {
		text := "authHTTPExclude: &ex\n- action: api\nauthJWTExclude: *ex\n"
		c, err := config.Parse("anchor.yml", []byte(text), []string{"MTX_AUTHJWTEXCLUDE_0_ACTION=metrics"})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := permActions(c.AuthHTTPExclude), permActions(c.AuthJWTExclude); !slices.Equal(a, []string{"api"}) || !slices.Equal(b, []string{"metrics"}) {
			t.Errorf("authHTTPExclude = %v, authJWTExclude = %v; want [api], [metrics]", a, b)
		}
	})
}

// TestEnvWarnings: an MTX_ variable naming no key is a warning (never
// silence, never an error); RTSP_ ones that are not keys (MediaMTX's hook
// variables) are not.
func TestEnvWarnings(t *testing.T) {
	c, err := config.Parse("w.yml", nil, []string{"MTX_NOSUCHKEY=1", "MTX_RTSPADRESS=:1", "MTX_PATHS_CAM_NOSUCH=1",
		"MTX_AUTHINTERNALUSERS_X_USER=a", "RTSP_PORT=8554", "RTSP_NOSUCHKEY=1", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"env MTX_AUTHINTERNALUSERS_X_USER: names no configuration key; ignored",
		"env MTX_NOSUCHKEY: names no configuration key; ignored",
		"env MTX_PATHS_CAM_NOSUCH: names no configuration key; ignored",
		"env MTX_RTSPADRESS: names no configuration key; ignored",
	}
	if !slices.Equal(c.Warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warnings, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Paths.List) != 0 {
		t.Errorf("paths %+v, want none", c.Paths.List)
	}
	c, err = config.ParseGatewayJSON("gw.json", []byte(strings.Replace(minimalGatewayJSON, "%s", "pub+bind:ipc:///tmp/x", 1)), []string{"MTX_NOSUCHKEY=1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 {
		t.Errorf("gateway dialect warnings = %q, want one", c.Warnings)
	}
	envRefused(t, "k.yml", "MTX_CONFKEY=abc", "env MTX_CONFKEY: encrypted configuration files are not supported")
	envRefused(t, "k.yml", "STREAMGATE_NOSUCHKEY=1", "env STREAMGATE_NOSUCHKEY: names no configuration key")
}

// envRefused fails t unless parsing file (empty) with env alone fails with
// an error that contains want.
func envRefused(t *testing.T, file, env, want string) {
	t.Helper()
	if _, err := config.Parse(file, nil, []string{env}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: got %v, want an error containing %q", env, err, want)
	}
}

// TestEnvLegacyPrefix: MediaMTX still reads RTSP_<KEY>; MTX_ wins over it.
func TestEnvLegacyPrefix(t *testing.T) {
	c, err := config.Parse("l.yml", nil, []string{"RTSP_RTSPADDRESS=:1111", "RTSP_LOGLEVEL=debug", "MTX_LOGLEVEL=warn",
		"RTSP_AUTHINTERNALUSERS_0_USER=bob", "RTSP_AUTHINTERNALUSERS_0_PASS=bobpass"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RTSPAddress != ":1111" || c.LogLevel != "warn" || c.AuthInternalUsers[0].User.Raw != "bob" || len(c.AuthInternalUsers) != 2 {
		t.Errorf("rtspAddress %q, logLevel %q (want MTX_'s warn), user 0 %q", c.RTSPAddress, c.LogLevel, c.AuthInternalUsers[0].User.Raw)
	}
}

// TestEnvValueTypes: every kind of value, as MediaMTX reads them.
func TestEnvValueTypes(t *testing.T) {
	for _, tt := range []struct {
		env   string
		check func(c *config.Conf) bool
	}{
		{"MTX_RTMP=false", func(c *config.Conf) bool { return !c.RTMP }},
		{"MTX_RTMP=NO", func(c *config.Conf) bool { return !c.RTMP }},
		{"MTX_METRICS=true", func(c *config.Conf) bool { return c.Metrics }},
		{"MTX_METRICS=yes", func(c *config.Conf) bool { return c.Metrics }},
		{"MTX_READTIMEOUT=1m30s", func(c *config.Conf) bool { return c.ReadTimeout == 90*time.Second }},
		{"MTX_MAXCONNECTIONS=42", func(c *config.Conf) bool { return c.MaxConnections == 42 }},
		{"MTX_HLSSEGMENTMAXSIZE=2MiB", func(c *config.Conf) bool { return c.HLSSegmentMaxSize == 2<<20 }},
		{"MTX_RTSPTRANSPORTS=tcp", func(c *config.Conf) bool { return slices.Equal(c.RTSPTransports, []string{"tcp"}) }},
		{"MTX_APIALLOWORIGINS=", func(c *config.Conf) bool { return len(c.APIAllowOrigins) == 0 }},
		{"MTX_APITRUSTEDPROXIES=10.0.0.0/8,192.168.1.1", func(c *config.Conf) bool {
			return len(c.APITrustedProxies) == 2 && c.APITrustedProxies[1].String() == "192.168.1.1/32"
		}},
		{"MTX_LOGDESTINATIONS=stdout,file", func(c *config.Conf) bool {
			return slices.Equal(c.LogDestinations, config.LogDestinations{"stdout", "file"})
		}},
		{"MTX_LOGDESTINATIONS=", func(c *config.Conf) bool { return len(c.LogDestinations) == 0 }},
		{"MTX_LOGSTRUCTURED=true", func(c *config.Conf) bool { return c.LogStructured && c.Structured() }},
		{"MTX_PATHDEFAULTS_SAVANTLABELS=a,b", func(c *config.Conf) bool {
			return slices.Equal(c.PathDefaults.SavantLabels, []string{"a", "b"})
		}},
		{"MTX_PATHS_MY_CAM_SAVANTLABELS=u", func(c *config.Conf) bool {
			np, ok := c.Paths.Find("my_cam")
			return ok && slices.Equal(np.SavantLabels, []string{"u"})
		}},
	} {
		t.Run(tt.env, func(t *testing.T) {
			c, err := config.Parse("v.yml", nil, []string{tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("%s not applied", tt.env)
			}
		})
	}
	envRefused(t, "v.yml", "MTX_RTMP=maybe", "env MTX_RTMP: rtmp: want yes or no") // a bad bool
	envRefused(t, "v.yml", "MTX_READTIMEOUT=10", "env MTX_READTIMEOUT")            // a bad duration
}

// TestEnvDeprecatedKeys: a deprecated key set from the environment reads
// exactly as the same key in the file (renamed, converted, or refused the
// same way), at the top level and in paths.
func TestEnvDeprecatedKeys(t *testing.T) {
	for _, tt := range []struct {
		file string // YAML setting the key
		env  string
	}{
		{"protocols: [tcp]\n", "MTX_PROTOCOLS=tcp"},
		{"protocols: [udp, tcp]\n", "MTX_PROTOCOLS=udp,tcp"},
		{"encryption: \"no\"\n", "MTX_ENCRYPTION=no"},
		{"authMethods: [digest]\n", "MTX_AUTHMETHODS=digest"},
		{"rtspDisable: yes\n", "MTX_RTSPDISABLE=yes"},
		{"hlsDisable: yes\n", "MTX_HLSDISABLE=yes"},
		{"hlsAllowOrigin: http://a.example\n", "MTX_HLSALLOWORIGIN=http://a.example"},
		{"apiAllowOrigin: '*'\n", "MTX_APIALLOWORIGIN=*"},
		{"paths:\n  cam:\n    readUser: viewer\n", "MTX_PATHS_CAM_READUSER=viewer"},
		{"paths:\n  cam:\n    readIPs: [10.0.0.0/8]\n", "MTX_PATHS_CAM_READIPS=10.0.0.0/8"},
		{"pathDefaults:\n  sourceProtocol: tcp\n", "MTX_PATHDEFAULTS_SOURCEPROTOCOL=tcp"},
		{"paths:\n  cam:\n    runOnReady: echo\n", "MTX_PATHS_CAM_RUNONREADY=echo"},
	} {
		t.Run(tt.env, func(t *testing.T) {
			fromFile, fileErr := config.Parse("d.yml", []byte(tt.file), nil)
			fromEnv, envErr := config.Parse("d.yml", nil, []string{tt.env})
			if (fileErr == nil) != (envErr == nil) {
				t.Fatalf("file: %v; env: %v", fileErr, envErr)
			}
			if fileErr != nil {
				var fe, ee config.Errors
				if !errors.As(fileErr, &fe) || !errors.As(envErr, &ee) || len(fe) != len(ee) {
					t.Fatalf("file: %v; env: %v", fileErr, envErr)
				}
				name, _, _ := strings.Cut(tt.env, "=")
				for i := range fe {
					if fe[i].Msg != ee[i].Msg || fe[i].Key != ee[i].Key || ee[i].File != "env "+name {
						t.Errorf("file: %v; env: %v", fe[i], ee[i])
					}
				}
				return
			}
			a, _ := json.Marshal(fromFile.Redacted())
			b, _ := json.Marshal(fromEnv.Redacted())
			if string(a) != string(b) {
				t.Errorf("file and env differ:\nfile %s\nenv  %s", a, b)
			}
			if len(fromEnv.Warnings) != 0 {
				t.Errorf("warnings %q", fromEnv.Warnings)
			}
		})
	}
}
