package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/config"
)

// MediaMTX's deprecated *AllowOrigin keys hold one origin that replaces the
// list; setting both forms, or a list under the singular key, is an error
// naming the key the file used.
func TestDeprecatedAllowOrigin(t *testing.T) {
	c, err := config.Parse("old.yml", []byte("hlsAllowOrigin: https://a.example\napiAllowOrigin: '*'\nwebrtcAllowOrigin: https://b.example\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []struct {
		key        string
		list, want []string
	}{
		{"hlsAllowOrigins", c.HLSAllowOrigins, []string{"https://a.example"}},
		{"apiAllowOrigins", c.APIAllowOrigins, []string{"*"}},
		{"webrtcAllowOrigins", c.WebRTCAllowOrigins, []string{"https://b.example"}},
		{"metricsAllowOrigins", c.MetricsAllowOrigins, []string{"*"}},
	} {
		if !slices.Equal(got.list, got.want) {
			t.Errorf("%s = %v, want %v", got.key, got.list, got.want)
		}
	}
	for _, bad := range []struct{ text, want string }{
		{"hlsAllowOrigins: ['*']\nhlsAllowOrigin: https://a.example\n", "old.yml:2: hlsAllowOrigin: deprecated: set hlsAllowOrigins only"},
		{"pprofAllowOrigin: [https://a.example]\n", "old.yml:1: pprofAllowOrigin: want one origin"},
	} {
		_, err := config.Parse("old.yml", []byte(bad.text), nil)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.text, err, bad.want)
		}
	}
}
