package daemon_test

import (
	"slices"
	"testing"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

// The secrets left out of hooks' environment are every password,
// passphrase and secret of the configuration, and URL passwords.
func TestSecretsOf(t *testing.T) {
	c, err := config.Parse("s.yml", []byte(`
authMethod: http
authHTTPAddress: http://svc:http-url-pass-1@127.0.0.1:9/auth
authInternalUsers:
- {user: a, pass: user-pass-2, permissions: [{action: read}]}
paths:
  cam:
    srtReadPassphrase: srt-read-phrase-3
    srtPublishPassphrase: srt-pub-phrase-4
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := daemon.SecretsOf(c)
	for _, want := range []string{"http-url-pass-1", "user-pass-2", "srt-read-phrase-3", "srt-pub-phrase-4"} {
		if !slices.Contains(got, want) {
			t.Errorf("secrets lack %q: %q", want, got)
		}
	}
}
