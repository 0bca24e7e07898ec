package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/config"
)

func TestClusterValidation(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret-s3cret-s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yml string
		want      []string // substrings of the error; none: valid
	}{
		{"off by default", "", nil},
		{"valid", "cluster:\n  enabled: yes\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n  advertiseAddress: 10.0.0.1:8554\n  secretFile: " + secret + "\n", nil},
		{"reuses authEtcd", "authEtcd:\n  endpoints: [http://127.0.0.1:2379]\ncluster:\n  enabled: yes\n  advertiseAddress: a.example:8554\n  secretFile: " + secret + "\n", nil},
		{"tls without rtsps", "cluster:\n  enabled: yes\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n  advertiseAddress: 10.0.0.1:8554\n  secretFile: " + secret +
			"\n  tls: {ca: " + secret + ", cert: " + secret + ", key: " + secret + "}\n", []string{"cluster.tls: needs the RTSPS listener"}},
		{"strict without tls", "rtspEncryption: strict\nrtspServerCert: " + secret + "\nrtspServerKey: " + secret + "\ncluster:\n  enabled: yes\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n  advertiseAddress: 10.0.0.1:8554\n  secretFile: " + secret + "\n", []string{"cluster.tls: must be set with rtspEncryption: strict"}},
		{"name with a colon", "cluster:\n  enabled: yes\n  name: a:b\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n  advertiseAddress: 10.0.0.1:8554\n  secretFile: " + secret + "\n",
			[]string{"t.yml:3: cluster.name: only letters, digits and _-."}},
		{"nothing set", "cluster:\n  enabled: yes\n", []string{
			"t.yml:1: cluster.etcd.endpoints", "cluster.advertiseAddress: must be set", "cluster.secretFile: must be set"}},
		{"bad values", "cluster:\n  enabled: yes\n  name: a/b\n  prefix: x\n  etcd:\n    endpoints: [ftp://x]\n  advertiseAddress: :8554\n  leaseTTL: 1s\n  secretFile: /nonexistent/s\n  tls:\n    cert: /nonexistent/c\n", []string{
			"cluster.name", "cluster.prefix", "cluster.etcd.endpoints[0]", "cluster.advertiseAddress: want host:port",
			"cluster.leaseTTL", "cluster.secretFile: cannot read", "cluster.tls: ca, cert and key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("t.yml", []byte(tc.yml), nil)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
