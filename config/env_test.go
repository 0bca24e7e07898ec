package config_test

import (
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
			name: "unknown MTX_ variables are ignored",
			env:  []string{"MTX_PATH=cam1", "MTX_QUERY=a=b", "MTX_CONN_TYPE=rtspConn", "MTX_NOSUCHKEY=1", "MTX_=x", "STREAMGATE_CONFIG=/etc/x.yml"},
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
