package rtsp_test

import (
	"bufio"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/rtsp"
)

func basic(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

func TestCredentials(t *testing.T) {
	const digestHeader = `Digest username="alice", realm="ipcam", nonce="n", uri="rtsp://h/cam", response="r"`
	cases := []struct {
		name          string
		authorization string // "" = no header
		query         string
		want          authn.Credentials
	}{
		{"nothing", "", "", authn.Credentials{}},
		{"basic", basic("alice:secret"), "", authn.Credentials{User: "alice", Pass: "secret"}},
		{"basic, colons in the password", basic("alice:pa:ss:word"), "", authn.Credentials{User: "alice", Pass: "pa:ss:word"}},
		{"basic, empty password", basic("alice:"), "", authn.Credentials{User: "alice"}},
		{"basic scheme in lower case", "basic " + base64.StdEncoding.EncodeToString([]byte("bob:pw")), "", authn.Credentials{User: "bob", Pass: "pw"}},
		{"basic without a colon", basic("alice"), "", authn.Credentials{}},
		{"basic, bad base64", "Basic !!!", "", authn.Credentials{}},
		{"digest: the user and the answer", digestHeader, "", authn.Credentials{User: "alice", Digest: &authn.DigestProof{Response: digestHeader}}},
		{"digest without a user", `Digest realm="ipcam", nonce="n", uri="rtsp://h/cam", response="r"`, "", authn.Credentials{}},
		{"bearer token", "Bearer eyJhbGciOi.payload.sig", "", authn.Credentials{Token: "eyJhbGciOi.payload.sig"}},
		{"bearer user:pass", "Bearer carol:pw", "", authn.Credentials{User: "carol", Pass: "pw"}},
		{"query token", "", "token=abc123", authn.Credentials{Token: "abc123"}},
		{"query jwt", "", "jwt=eyJ.x.y", authn.Credentials{Token: "eyJ.x.y"}},
		{"token wins over jwt", "", "jwt=second&token=first", authn.Credentials{Token: "first"}},
		{"escaped token", "", "token=exp%3D1~acl%3D%2Fcam%2A~hmac%3Dab", authn.Credentials{Token: "exp=1~acl=/cam*~hmac=ab"}},
		{"empty token falls back to jwt", "", "token=&jwt=j", authn.Credentials{Token: "j"}},
		{"other parameters only", "", "user=alice&pass=secret", authn.Credentials{}},
		{"malformed query", "", "token=abc&%zz", authn.Credentials{}},
		{"basic and a query token", basic("alice:secret"), "token=abc", authn.Credentials{User: "alice", Pass: "secret", Token: "abc"}},
		{"header token wins over the query", "Bearer header-token", "token=query-token", authn.Credentials{Token: "header-token"}},
		{"oversized header", "Basic " + strings.Repeat("A", 9000), "", authn.Credentials{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &base.Request{Method: base.Describe, Header: base.Header{}}
			if c.authorization != "" {
				req.Header["Authorization"] = base.HeaderValue{c.authorization}
			}
			got := rtsp.Credentials(req, c.query)
			if (got.Digest == nil) != (c.want.Digest == nil) || got.Digest != nil && got.Digest.Response != c.want.Digest.Response {
				t.Errorf("Credentials(%q, %q).Digest = %+v, want %+v", c.authorization, c.query, got.Digest, c.want.Digest)
			}
			got.Digest, c.want.Digest = nil, nil
			if got != c.want {
				t.Errorf("Credentials(%q, %q) = %+v, want %+v", c.authorization, c.query, got, c.want)
			}
		})
	}
}

// A request as it comes off the wire: header names in any case, the query
// from the URL (as gortsplib hands it to the handlers).
func TestCredentialsFromRawRequest(t *testing.T) {
	raw := "DESCRIBE rtsp://127.0.0.1:8554/cam?token=t0k RTSP/1.0\r\nCSeq: 2\r\nauthorization: " + basic("alice:secret") + "\r\n\r\n"
	var req base.Request
	if err := req.Unmarshal(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	want := authn.Credentials{User: "alice", Pass: "secret", Token: "t0k"}
	if got := rtsp.Credentials(&req, req.URL.RawQuery); got != want {
		t.Errorf("Credentials = %+v, want %+v", got, want)
	}
	if got := rtsp.PathOf(req.URL.Path); got != "cam" {
		t.Errorf("PathOf(%q) = %q, want cam", req.URL.Path, got)
	}
}

func TestPathOf(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"/":            "",
		"//":           "/",
		"cam":          "cam",
		"/cam":         "cam",
		"/cam/":        "cam/",
		"//cam//":      "/cam//",
		"/a/b":         "a/b",
		"/a/b/":        "a/b/",
		"/live/cam.1":  "live/cam.1",
		"/~weird path": "~weird path",
	} {
		if got := rtsp.PathOf(in); got != want {
			t.Errorf("PathOf(%q) = %q, want %q", in, got, want)
		}
	}
}
