package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/config"
)

// seedGatewayJSON writes testdata/media-gateway-server.json (seed 001's
// server configuration, verbatim) into a temporary directory, with the
// /etc/certs files it names created there. It returns the file's path and
// the environment the seed's $HOST_IP and $ETCD_PORT expand from.
func seedGatewayJSON(t *testing.T) (path, certs string, env []string) {
	t.Helper()
	data, err := os.ReadFile("testdata/media-gateway-server.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certs = filepath.Join(dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "client.crt", "client.key"} {
		if err := os.WriteFile(filepath.Join(certs, f), []byte("-----BEGIN PLACEHOLDER-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.ReplaceAll(string(data), "/etc/certs/", certs+"/")
	path = filepath.Join(dir, "media-gateway-server.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, certs, []string{"HOST_IP=127.0.0.1", "ETCD_PORT=2379"}
}

func TestGatewayJSONSeed001(t *testing.T) {
	path, certs, env := seedGatewayJSON(t)
	load := map[string]func() (*config.Conf, error){
		"Load": func() (*config.Conf, error) { return config.Load(path, env) },
		"ParseGatewayJSON": func() (*config.Conf, error) {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			return config.ParseGatewayJSON("media-gateway-server.json", data, env)
		},
	}
	for name, fn := range load {
		t.Run(name, func(t *testing.T) {
			c, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"gateway", c.Gateway, true},
				{"gatewayAddress", c.GatewayAddress, "0.0.0.0:8080"},
				{"gatewayEncryption", c.GatewayEncryption, false},
				{"other listeners", []bool{c.API, c.RTSP, c.RTMP, c.HLS, c.WebRTC, c.SRT, c.Metrics, c.Pprof}, make([]bool, 8)},
				{"authMethod", []string(c.AuthMethod), []string{"etcd"}},
				{"authInternalUsers", len(c.AuthInternalUsers), 0},
				{"authEtcd.endpoints", c.AuthEtcd.Endpoints, []string{"https://127.0.0.1:2379"}},
				{"authEtcd.tls.ca", c.AuthEtcd.TLS.CA, filepath.Join(certs, "ca.crt")},
				{"authEtcd.tls.cert", c.AuthEtcd.TLS.Cert, filepath.Join(certs, "client.crt")},
				{"authEtcd.tls.key", c.AuthEtcd.TLS.Key, filepath.Join(certs, "client.key")},
				{"authEtcd.prefix", c.AuthEtcd.Prefix, "/users"},
				{"authEtcd.dataFormat", c.AuthEtcd.DataFormat, "json"},
				{"authEtcd.dialTimeout", c.AuthEtcd.DialTimeout, 30 * time.Second},
				{"authEtcd.leaseTimeout", c.AuthEtcd.LeaseTimeout, 60 * time.Second},
				{"authEtcd.cacheSize", c.AuthEtcd.CacheSize, 10},
				{"authCache.size", c.AuthCache.Size, 10},
				{"authCache.usage", c.AuthCache.Usage, config.CacheUsage{Period: 60 * time.Second, EvictedThreshold: 10}},
				{"authQuarantine.failedAttemptLimit", c.AuthQuarantine.FailedAttemptLimit, 3},
				{"authQuarantine.period", c.AuthQuarantine.Period, 60 * time.Second},
				{"savant.url", c.Savant.URL, "pub+bind:ipc:///tmp/server"},
				{"savant.fixIPCPermissions", c.Savant.FixIPCPermissions, config.FileMode(0o777)},
				{"savant.sendTimeout", c.Savant.SendTimeout, time.Second},
				{"savant.receiveTimeout", c.Savant.ReceiveTimeout, time.Second},
				{"savant.sendRetries", c.Savant.SendRetries, 3},
				{"savant.receiveRetries", c.Savant.ReceiveRetries, 3},
				{"savant.sendHWM", c.Savant.SendHWM, 1000},
				{"savant.receiveHWM", c.Savant.ReceiveHWM, 1000},
			}
			for _, ch := range checks {
				if !equal(ch.got, ch.want) {
					t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
				}
			}
		})
	}
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case []string:
		return slices.Equal(x, b.([]string))
	case []bool:
		return slices.Equal(x, b.([]bool))
	}
	return a == b
}

const minimalGatewayJSON = `{
  "ip": "127.0.0.1",
  "port": 8080,
  "out_stream": {"url": "%s"}
}`

func TestGatewayJSONMinimal(t *testing.T) {
	c, err := config.ParseGatewayJSON("gw.json", []byte(strings.Replace(minimalGatewayJSON, "%s", "pub+bind:ipc:///tmp/x", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without auth the Media Gateway lets everyone POST.
	if len(c.AuthInternalUsers) != 1 || !c.AuthInternalUsers[0].IsAny() {
		t.Fatalf("authInternalUsers = %+v, want one any user", c.AuthInternalUsers)
	}
	if !c.AuthInternalUsers[0].Permissions[0].Path.Match("anything") || c.AuthInternalUsers[0].Permissions[0].Action != "gateway" {
		t.Errorf("any user permission = %+v, want gateway on every path", c.AuthInternalUsers[0].Permissions[0])
	}
	if c.GatewayAddress != "127.0.0.1:8080" {
		t.Errorf("gatewayAddress = %q", c.GatewayAddress)
	}
}

func TestGatewayJSONExpansion(t *testing.T) {
	const doc = `{
  "ip": "127.0.0.1",
  "port": 8080,
  "auth": {"basic": {
    "etcd": {"urls": ["%s"], "path": "/users", "data_format": "json",
             "credentials": {"username": "etcd", "password": "%s"}},
    "cache": {"size": 10}
  }},
  "out_stream": {"url": "%s"}
}`
	build := func(etcdURL, pass, url string) []byte {
		return []byte(replaceN(doc, etcdURL, pass, url))
	}
	tests := []struct {
		name                      string
		etcdURL, pass, savantURL  string
		env                       []string
		wantEtcd, wantPass, wantS string
		wantErr                   string
	}{
		{name: "default used when unset", etcdURL: "${ETCD:-http://127.0.0.1:2379}", pass: "p", savantURL: "pub+bind:ipc:///tmp/a",
			wantEtcd: "http://127.0.0.1:2379", wantPass: "p", wantS: "pub+bind:ipc:///tmp/a"},
		{name: "set value beats default", etcdURL: "${ETCD:-http://127.0.0.1:2379}", pass: "p", savantURL: "pub+bind:ipc:///tmp/a",
			env: []string{"ETCD=https://127.0.0.2:2379"}, wantEtcd: "https://127.0.0.2:2379", wantPass: "p", wantS: "pub+bind:ipc:///tmp/a"},
		{name: "plain and braced refs", etcdURL: "http://$HOST:${PORT}", pass: "p", savantURL: "pub+bind:ipc:///tmp/a",
			env: []string{"HOST=127.0.0.1", "PORT=2379"}, wantEtcd: "http://127.0.0.1:2379", wantPass: "p", wantS: "pub+bind:ipc:///tmp/a"},
		{name: "dollar dollar is a dollar", etcdURL: "http://127.0.0.1:2379", pass: "pa$$word", savantURL: "pub+bind:ipc:///tmp/a",
			wantEtcd: "http://127.0.0.1:2379", wantPass: "pa$word", wantS: "pub+bind:ipc:///tmp/a"},
		{name: "lone dollar stays", etcdURL: "http://127.0.0.1:2379", pass: "cost$-5", savantURL: "pub+bind:ipc:///tmp/a",
			wantEtcd: "http://127.0.0.1:2379", wantPass: "cost$-5", wantS: "pub+bind:ipc:///tmp/a"},
		{name: "savant url from env", etcdURL: "http://127.0.0.1:2379", pass: "p", savantURL: "${SAVANT_URL}",
			env: []string{"SAVANT_URL=dealer+connect:tcp://127.0.0.1:5555"}, wantEtcd: "http://127.0.0.1:2379", wantPass: "p", wantS: "dealer+connect:tcp://127.0.0.1:5555"},
		{name: "unset plain ref", etcdURL: "http://$NOPE_HOST:2379", pass: "p", savantURL: "pub+bind:ipc:///tmp/a",
			wantErr: "gw.json:5: $NOPE_HOST: environment variable is not set"},
		{name: "unset braced ref", etcdURL: "http://127.0.0.1:2379", pass: "p", savantURL: "${NOPE_URL}",
			wantErr: "gw.json:9: ${NOPE_URL}: environment variable is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.ParseGatewayJSON("gw.json", build(tt.etcdURL, tt.pass, tt.savantURL), tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.AuthEtcd.Endpoints; len(got) != 1 || got[0] != tt.wantEtcd {
				t.Errorf("endpoints = %v, want %s", got, tt.wantEtcd)
			}
			if string(c.AuthEtcd.Password) != tt.wantPass {
				t.Errorf("password = %q, want %q", c.AuthEtcd.Password, tt.wantPass)
			}
			if c.Savant.URL != tt.wantS {
				t.Errorf("savant.url = %q, want %q", c.Savant.URL, tt.wantS)
			}
		})
	}
}

// replaceN replaces the successive %s in format with args, verbatim.
func replaceN(format string, args ...string) string {
	for _, a := range args {
		i := strings.Index(format, "%s")
		format = format[:i] + a + format[i+2:]
	}
	return format
}

// TestGatewayJSONStrings: whatever JSON allows in a string reads as JSON
// reads it (the file goes through the YAML parser for its line numbers).
func TestGatewayJSONStrings(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"escaped slashes", `"pub+bind:ipc:\/\/\/tmp\/x"`, "pub+bind:ipc:///tmp/x"},
		{"surrogate pair", `"pub+bind:ipc:///tmp/\ud83d\ude00"`, "pub+bind:ipc:///tmp/😀"},
		{"raw unicode", `"pub+bind:ipc:///tmp/é😀"`, "pub+bind:ipc:///tmp/é😀"},
		{"unicode escapes", `"pub+bind:ipc:///tmp/\u00e9\u0041"`, "pub+bind:ipc:///tmp/éA"},
		{"line separators", "\"pub+bind:ipc:///tmp/a\u2028b\u0085c\u2029d\"", "pub+bind:ipc:///tmp/a\u2028b\u0085c\u2029d"},
		{"escaped quote and backslash", `"pub+bind:ipc:///tmp/a\"b\\c"`, `pub+bind:ipc:///tmp/a"b\c`},
		{"control escapes", `"pub+bind:ipc:///tmp/a\tb\u0001"`, "pub+bind:ipc:///tmp/a\tb\x01"},
		{"YAML-looking text", `"pub+bind:ipc:///tmp/#x: &y *z"`, "pub+bind:ipc:///tmp/#x: &y *z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "{\n\t\"ip\":\"127.0.0.1\",\"port\":8080,\n\t\"out_stream\":{\"url\":" + tt.json + ",\"sendhwm\":1}\n}"
			_, err := config.ParseGatewayJSON("s.json", []byte(doc), nil)
			// The unknown key on line 3 proves the lines are kept.
			if err == nil || !strings.HasPrefix(err.Error(), "s.json:3: out_stream.sendhwm: unknown key") {
				t.Fatalf("err = %v, want the unknown key on line 3", err)
			}
			doc = strings.Replace(doc, `,"sendhwm":1`, "", 1)
			c, err := config.ParseGatewayJSON("s.json", []byte(doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.Savant.URL != tt.want {
				t.Errorf("url = %q, want %q", c.Savant.URL, tt.want)
			}
		})
	}
}

// TestGatewayJSONLayout: JSON laid out in ways YAML would not accept as-is.
func TestGatewayJSONLayout(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"key and colon on different lines", "{\"ip\"\n:\n\"127.0.0.1\"\n,\n\"port\"\n:\n8080, \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/x\"}}", ""},
		{"tabs and CRLF", "{\r\n\t\"ip\"\t:\t\"127.0.0.1\",\r\n\t\"port\":8080,\r\n\t\"out_stream\":{\"url\":\"pub+bind:ipc:///tmp/x\"}\r\n}\r\n", ""},
		{"unindented keys", "{\n\"ip\": \"127.0.0.1\",\n\"port\": 8080,\n\"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/x\"}\n}", ""},
		{"colon moved keeps the line", "{\"ip\": \"127.0.0.1\", \"port\": 8080, \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/x\"},\n\n \"z\"\n\n:\n1}", "s.json:3: z: unknown key"},
		{"key over 1024 characters", "{\"ip\": \"127.0.0.1\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/x\"}, \"" + strings.Repeat("k", 2000) + "\": 1}", "s.json:2: " + strings.Repeat("k", 2000) + ": unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.ParseGatewayJSON("s.json", []byte(tt.doc), nil)
			if tt.wantErr == "" {
				if err != nil || c.GatewayAddress != "127.0.0.1:8080" {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("err = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

// tls.peers maps onto gatewayClientCA and gatewayClientCRL: crl_enabled is
// honoured, not dropped.
func TestGatewayJSONPeers(t *testing.T) {
	dir := t.TempDir()
	for _, crl := range []bool{true, false} {
		text := fmt.Sprintf(`{"ip": "127.0.0.1", "port": 0,
 "tls": {"identity": {"certificate": "/dev/null", "key": "/dev/null"},
   "peers": {"lookup_hash_directory": %q, "crl_enabled": %v}},
 "out_stream": {"url": "pub+bind:ipc:///tmp/s"}}`, dir, crl)
		c, err := config.ParseGatewayJSON("gw.json", []byte(text), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.GatewayClientCA != dir || c.GatewayClientCRL != crl || !c.GatewayEncryption {
			t.Errorf("crl_enabled %v: gatewayClientCA %q, gatewayClientCRL %v, gatewayEncryption %v", crl, c.GatewayClientCA, c.GatewayClientCRL, c.GatewayEncryption)
		}
	}
}
