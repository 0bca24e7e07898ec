package rtmp_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/rtmp"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, app, key string
		path, query    string
		creds          authn.Credentials
	}{
		{"ffmpeg query in the app", "cam?user=u&pass=p", "", "cam", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"ffmpeg query in the stream key", "app", "stream?user=u&pass=p", "app/stream", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"ffmpeg query between app and key", "app?user=u&pass=p", "stream", "app/stream", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"OBS server and key", "live", "cam?token=abc", "live/cam", "token=abc", authn.Credentials{Token: "abc"}},
		{"nested app", "live/cam", "sub?token=t", "live/cam/sub", "token=t", authn.Credentials{Token: "t"}},
		{"jwt alias", "cam?jwt=eyJ", "", "cam", "jwt=eyJ", authn.Credentials{Token: "eyJ"}},
		{"token wins over jwt", "cam?jwt=j&token=t", "", "cam", "jwt=j&token=t", authn.Credentials{Token: "t"}},
		{"trailing slashes (OBS)", "live/", "cam/", "live/cam", "", authn.Credentials{}},
		{"no query", "cam", "", "cam", "", authn.Credentials{}},
		{"empty", "", "", "", "", authn.Credentials{}},
		{"key overrides app", "cam?user=a&pass=x", "?user=b", "cam", "user=a&pass=x&user=b", authn.Credentials{User: "b", Pass: "x"}},
		{"percent-encoded password", "cam?user=u&pass=p%26q%3D", "", "cam", "user=u&pass=p%26q%3D", authn.Credentials{User: "u", Pass: "p&q="}},
		{"password with colons and equals", "cam?user=u&pass=a:b=c", "", "cam", "user=u&pass=a:b=c", authn.Credentials{User: "u", Pass: "a:b=c"}},
		{"bad escape kept as is", "cam?pass=100%", "", "cam", "pass=100%", authn.Credentials{Pass: "100%"}},
		{"EdgeAuth token in the key", "app", "cam?token=exp=9~acl=/app/*~hmac=ab", "app/cam", "token=exp=9~acl=/app/*~hmac=ab",
			authn.Credentials{Token: "exp=9~acl=/app/*~hmac=ab"}},
		{"pair without value", "cam?user&pass=", "", "cam", "user&pass=", authn.Credentials{}},
		// The forms of the README's client table (e2e/clients_test.go).
		{"GStreamer rtmp2 path/?query (empty stream)", "cam", "?user=u&pass=p", "cam", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"GStreamer rtmp2 app/stream?query", "live", "gst?user=u&pass=p", "live/gst", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"rtmpdump -r path -y ?query", "cam", "?user=u&pass=p", "cam", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
		{"empty app, stream?query", "", "cam?user=u&pass=p", "cam", "user=u&pass=p", authn.Credentials{User: "u", Pass: "p"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := rtmp.ParseTarget(c.app, c.key)
			if got.Path != c.path || got.Query != c.query || got.Credentials != c.creds {
				t.Errorf("ParseTarget(%q, %q) = %+v, want path %q query %q credentials %+v", c.app, c.key, got, c.path, c.query, c.creds)
			}
		})
	}
}

// FuzzRTMPURL checks ParseTarget on any app and stream key: it never
// panics, the path has no query and no leading or trailing slash, and
// credentials only come from a query.
func FuzzRTMPURL(f *testing.F) {
	for _, s := range [][2]string{
		{"cam?user=u&pass=p", ""},
		{"app", "stream?user=u&pass=p"},
		{"app?user=u&pass=p", "stream"},
		{"live", "cam?token=exp=9~acl=/live/*~hmac=00"},
		{"/live//", "/cam/?jwt=a.b.c"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, app, key string) {
		got := rtmp.ParseTarget(app, key)
		if strings.HasPrefix(got.Path, "/") || strings.HasSuffix(got.Path, "/") {
			t.Errorf("path %q has a leading or trailing slash", got.Path)
		}
		if strings.Contains(got.Path, "?") {
			t.Errorf("path %q has a query", got.Path)
		}
		if !strings.Contains(app, "?") && !strings.Contains(key, "?") &&
			(got.Query != "" || !got.Credentials.IsEmpty()) {
			t.Errorf("no query in %q, %q but query %q, credentials %+v", app, key, got.Query, got.Credentials)
		}
		if utf8.ValidString(app) && utf8.ValidString(key) && !utf8.ValidString(got.Path) {
			t.Errorf("path %q is not valid UTF-8", got.Path)
		}
		if again := rtmp.ParseTarget(got.Path, ""); again.Path != got.Path {
			t.Errorf("path %q is not stable: %q", got.Path, again.Path)
		}
	})
}
