package rtsp_test

import (
	"bufio"
	"net/url"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/rtsp"
)

// FuzzRTSPCredentials: Credentials and PathOf never panic, for requests
// built directly and for requests parsed off the wire; the user and
// password come from the Authorization header only (a Digest header gives
// its user and the header as the answer, no password); a header token wins
// over the query, else ?token=, else ?jwt=; PathOf removes the leading
// slash and nothing else. Seeds are in
// testdata/fuzz/FuzzRTSPCredentials.
func FuzzRTSPCredentials(f *testing.F) {
	f.Add("Basic dXNlcjpwYXNz", "", "/cam")
	f.Fuzz(func(t *testing.T, authorization, rawQuery, path string) {
		req := &base.Request{Method: base.Describe, Header: base.Header{"Authorization": base.HeaderValue{authorization}}}
		checkCredentials(t, req, authorization, rawQuery)
		checkPathOf(t, path)

		// The same through gortsplib's parser, when it accepts the text.
		raw := "DESCRIBE rtsp://127.0.0.1:8554/" + path + "?" + rawQuery + " RTSP/1.0\r\nCSeq: 1\r\nAuthorization: " + authorization + "\r\n\r\n"
		var parsed base.Request
		if parsed.Unmarshal(bufio.NewReader(strings.NewReader(raw))) != nil || parsed.URL == nil {
			return
		}
		_ = rtsp.Credentials(&parsed, parsed.URL.RawQuery)
		checkPathOf(t, parsed.URL.Path)
	})
}

func checkCredentials(t *testing.T, req *base.Request, authorization, rawQuery string) {
	t.Helper()
	got := rtsp.Credentials(req, rawQuery)
	h := httpauth.ParseAuthorization(authorization)
	if got.Digest != nil {
		// A Digest answer: its user, no password, the header as sent.
		if got.User == "" || got.Pass != "" || got.Digest.Response != authorization || !h.IsEmpty() {
			t.Fatalf("Credentials(%q) = %+v: not a Digest answer's", authorization, got)
		}
		h.User = got.User
	}
	if got.User != h.User || got.Pass != h.Pass {
		t.Fatalf("Credentials(%q, %q) = %+v: user/password differ from the header's %+v", authorization, rawQuery, got, h)
	}
	want := h.Token
	if want == "" {
		if q, err := url.ParseQuery(rawQuery); err == nil {
			want = q.Get("token")
			if want == "" {
				want = q.Get("jwt")
			}
		}
	}
	if got.Token != want {
		t.Fatalf("Credentials(%q, %q).Token = %q, want %q", authorization, rawQuery, got.Token, want)
	}
}

func checkPathOf(t *testing.T, p string) {
	t.Helper()
	got := rtsp.PathOf(p)
	if got != p && "/"+got != p {
		t.Fatalf("PathOf(%q) = %q: more than the leading slash removed", p, got)
	}
}
