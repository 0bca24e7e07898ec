package config_test

import (
	"strings"
	"testing"

	"github.com/streamgate/streamgate/config"
)

// Credentials inside URLs — user info, query tokens — never show in
// /v3/config/get (Redacted) nor in configuration errors.
func TestRedactedURLs(t *testing.T) {
	text := `
authMethod: [http, jwt, etcd]
authHTTPAddress: http://u:s3cretHTTP@127.0.0.1:1/auth?key=s3cretHTTPQuery
authJWTJWKS: https://jwks:s3cretJWKS@127.0.0.1:1/jwks.json?access_token=s3cretJWKSToken
authEtcd:
  endpoints: [http://root:s3cretEtcd@127.0.0.1:2379, http://s3cretEtcdUserOnly@127.0.0.1:2380]
`
	out := redactedJSON(t, mustParse(t, text))
	if strings.Contains(out, "s3cret") {
		t.Errorf("a secret appears in Redacted(): %s", out)
	}
	for _, want := range []string{"127.0.0.1:1/auth", "127.0.0.1:2379", "access_token="} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted() lost %q (only credentials go): %s", want, out)
		}
	}
}

func TestConfigErrorsHideURLCredentials(t *testing.T) {
	for _, text := range []string{
		"authMethod: http\nauthHTTPAddress: ftp://u:s3cret@127.0.0.1/auth\n",
		"authMethod: http\nauthHTTPAddress: http://u:s3cret@[::1/auth\n",
		"authMethod: jwt\nauthJWTJWKS: file://127.0.0.1/jwks?token=s3cret\n",
		"authMethod: etcd\nauthEtcd: {endpoints: [etcd://root:s3cret@127.0.0.1:2379]}\n",
		"authMethod: etcd\nauthEtcd: {endpoints: http://root:s3cret@127.0.0.1:2379}\n",
		"authEtcd: http://root:s3cret@127.0.0.1:2379\n",
		"rtsp: http://root:s3cret@127.0.0.1:2379\n",
	} {
		_, err := config.Parse("bad.yml", []byte(text), nil)
		if err == nil {
			t.Errorf("%q: no error", text)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the secret: %v", text, err)
		}
		if !strings.Contains(err.Error(), "bad.yml:") {
			t.Errorf("%q: error %v does not locate the problem", text, err)
		}
	}
}
