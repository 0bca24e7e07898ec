package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/config"
)

func TestRedacted(t *testing.T) {
	secrets := map[string]string{
		"user pass":            "userPassS3cret",
		"authPass":             "globalPassS3cret",
		"apiPass":              "apiPassS3cret",
		"metricsPass":          "metricsPassS3cret",
		"pprofPass":            "pprofPassS3cret",
		"playbackPass":         "playbackPassS3cret",
		"gatewayPass":          "gatewayPassS3cret",
		"etcd password":        "etcdPassS3cret",
		"path publishPass":     "publishPassS3cret",
		"path readPass":        "readPassS3cret",
		"srtPublishPassphrase": "srtPublishS3cret",
		"srtReadPassphrase":    "srtReadS3cret",
		"default passphrase":   "srtDefaultS3cret",
	}
	argon := "argon2:" + goodPHC
	text := `
authMethod: [internal, etcd]
authInternalUsers:
- user: alice
  pass: ` + secrets["user pass"] + `
- user: bob
  pass: ` + hash.SHA256("bobPassS3cret") + `
- user: carol
  pass: ` + argon + `
authUser: admin
authPass: ` + secrets["authPass"] + `
apiPass: ` + secrets["apiPass"] + `
metricsPass: ` + secrets["metricsPass"] + `
pprofPass: ` + secrets["pprofPass"] + `
playbackPass: ` + secrets["playbackPass"] + `
gatewayPass: ` + secrets["gatewayPass"] + `
authEtcd:
  endpoints: [http://127.0.0.1:2379]
  username: root
  password: ` + secrets["etcd password"] + `
pathDefaults:
  srtReadPassphrase: ` + secrets["default passphrase"] + `
paths:
  cam1:
    publishUser: pub
    publishPass: ` + secrets["path publishPass"] + `
    readUser: rd
    readPass: ` + secrets["path readPass"] + `
    srtPublishPassphrase: ` + secrets["srtPublishPassphrase"] + `
    srtReadPassphrase: ` + secrets["srtReadPassphrase"] + `
`
	s := redactedJSON(t, mustParse(t, text))
	for what, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Errorf("%s %q appears in Redacted(): %s", what, secret, s)
		}
	}
	for _, leaked := range []string{hash.SHA256("bobPassS3cret"), goodPHC, "MTIzNDU2Nzg"} {
		if strings.Contains(s, leaked) {
			t.Errorf("a password hash (%q) appears in Redacted()", leaked)
		}
	}
	if n := strings.Count(s, `"`+config.Redacted+`"`); n < len(secrets)+2 {
		t.Errorf("%q appears %d times, want at least %d", config.Redacted, n, len(secrets)+2)
	}

	// The shape: plain values keyed by the YAML names.
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	users := m["authInternalUsers"].([]any)
	u0 := users[0].(map[string]any)
	if u0["user"] != "alice" || u0["pass"] != config.Redacted {
		t.Errorf("authInternalUsers[0] = %v", u0)
	}
	if etcd := m["authEtcd"].(map[string]any); etcd["password"] != config.Redacted || etcd["username"] != "root" {
		t.Errorf("authEtcd = %v", etcd)
	}
	if m["authPass"] != config.Redacted || m["rtspAddress"] != ":8554" || m["readTimeout"] != "10s" {
		t.Errorf("authPass = %v, rtspAddress = %v, readTimeout = %v", m["authPass"], m["rtspAddress"], m["readTimeout"])
	}
	cam1 := m["paths"].(map[string]any)["cam1"].(map[string]any)
	for _, k := range []string{"publishPass", "readPass", "srtPublishPassphrase", "srtReadPassphrase"} {
		if cam1[k] != config.Redacted {
			t.Errorf("paths.cam1.%s = %v", k, cam1[k])
		}
	}
	// Unset secrets stay empty rather than claiming a value.
	if d := m["pathDefaults"].(map[string]any); d["srtPublishPassphrase"] != "" || d["publishPass"] != "" {
		t.Errorf("pathDefaults = %v", d)
	}
}

func TestRedactedGatewayJSON(t *testing.T) {
	doc := `{"ip": "127.0.0.1", "port": 8080,
 "out_stream": {"url": "pub+bind:ipc:///tmp/s"},
 "auth": {"basic": {"etcd": {"urls": ["http://127.0.0.1:2379"], "path": "/users", "data_format": "json",
   "credentials": {"username": "etcd-user", "password": "etcd-password-S3cret"}},
  "cache": {"size": 1}}}}`
	c, err := config.ParseGatewayJSON("gw.json", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.AuthEtcd.Password) != "etcd-password-S3cret" {
		t.Fatalf("etcd password = %q", c.AuthEtcd.Password)
	}
	if out := redactedJSON(t, c); strings.Contains(out, "etcd-password-S3cret") {
		t.Errorf("etcd password appears in Redacted(): %s", out)
	}
}

// redactedJSON is c.Redacted() as /v3/config/get shows it: JSON.
func redactedJSON(t *testing.T, c *config.Conf) string {
	t.Helper()
	out, err := json.Marshal(c.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
