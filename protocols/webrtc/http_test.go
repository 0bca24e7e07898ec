package webrtc_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/protocols/webrtc"
)

// Statuses of the HTTP surface, for every way a request can go wrong.
func TestHTTPStatuses(t *testing.T) {
	e := newEnv(t, "paths:\n  all_others:\n  one: {maxReaders: 1}\n", webrtc.Config{})
	publish(t, e, "cam", h264Media())
	publish(t, e, "one", h264Media())
	publish(t, e, "mjpeg", &description.Media{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.MJPEG{}}})
	offer := newClient(t).offer()

	if res := e.request(t, http.MethodPost, "/one/whep", "application/sdp", offer, "viewer"); res.StatusCode != http.StatusCreated {
		t.Fatalf("first reader of one: %d", res.StatusCode)
	}
	const sdp = "application/sdp"
	for _, tc := range []struct {
		name, method, path, contentType, body, user string
		want                                        int
		wantHeader, wantValue                       string
		wantBody                                    string
	}{
		{name: "no credentials", method: "POST", path: "/cam/whep", contentType: sdp, body: offer,
			want: 401, wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "wrong password", method: "POST", path: "/cam/whep", contentType: sdp, body: offer, user: "nobody",
			want: 401, wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "forbidden", method: "POST", path: "/cam/whep", contentType: sdp, body: offer, user: "blocked", want: 403},
		{name: "unauthenticated before 404", method: "POST", path: "/nothere/whep", contentType: sdp, body: offer, want: 401},
		{name: "not published", method: "POST", path: "/nothere/whep", contentType: sdp, body: offer, user: "viewer", want: 404},
		{name: "unauthenticated before 415", method: "POST", path: "/cam/whep", contentType: "text/plain", body: offer, want: 401},
		{name: "wrong content type", method: "POST", path: "/cam/whep", contentType: "text/plain", body: offer, user: "viewer", want: 415},
		{name: "no content type", method: "POST", path: "/cam/whep", body: offer, user: "viewer", want: 415},
		{name: "content type with parameters", method: "POST", path: "/nothere/whep", contentType: "application/sdp; charset=utf-8",
			body: offer, user: "viewer", want: 404},
		{name: "bad offer", method: "POST", path: "/cam/whep", contentType: sdp, body: "v=0\r\nnonsense\r\n", user: "viewer", want: 400},
		{name: "empty offer", method: "POST", path: "/cam/whep", contentType: sdp, user: "viewer", want: 400},
		{name: "huge offer", method: "POST", path: "/cam/whep", contentType: sdp, body: strings.Repeat("a=x\r\n", 20000), user: "viewer", want: 413},
		{name: "unauthenticated huge offer: 401, unread", method: "POST", path: "/cam/whep", contentType: sdp,
			body: strings.Repeat("a=x\r\n", 20000), want: 401},
		{name: "no WebRTC track", method: "POST", path: "/mjpeg/whep", contentType: sdp, body: offer, user: "viewer",
			want: 406, wantBody: "M-JPEG"},
		{name: "maxReaders", method: "POST", path: "/one/whep", contentType: sdp, body: offer, user: "viewer", want: 503},
		{name: "GET whep", method: "GET", path: "/cam/whep", user: "viewer", want: 405},
		{name: "WHIP garbage without credentials: 401 before the SDP", method: "POST", path: "/free/whip", contentType: sdp,
			body: "garbage", want: 401, wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "WHIP garbage with a wrong password: 401 before the SDP", method: "POST", path: "/free/whip", contentType: sdp,
			body: "garbage", user: "nobody", want: 401, wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "WHIP forbidden", method: "POST", path: "/free/whip", contentType: sdp, body: "garbage", user: "blocked", want: 403},
		{name: "WHIP unauthenticated huge offer: 401, unread", method: "POST", path: "/free/whip", contentType: sdp,
			body: strings.Repeat("a=x\r\n", 20000), want: 401},
		{name: "WHIP huge offer", method: "POST", path: "/free/whip", contentType: sdp,
			body: strings.Repeat("a=x\r\n", 20000), user: "viewer", want: 413},
		{name: "WHIP garbage", method: "POST", path: "/free/whip", contentType: sdp, body: "garbage", user: "viewer", want: 400},
		{name: "WHIP offer that sends nothing", method: "POST", path: "/free/whip", contentType: sdp, body: offer, user: "viewer",
			want: 400, wantBody: "sends no audio or video"},
		{name: "WHIP wrong content type", method: "POST", path: "/free/whip", contentType: "text/plain", body: offer, user: "viewer", want: 415},
		{name: "WHIP busy path", method: "POST", path: "/cam/whip", contentType: sdp, body: offer, user: "viewer", want: 409},
		{name: "GET whip", method: "GET", path: "/cam/whip", user: "viewer", want: 405},
		{name: "WHIP unknown session", method: "DELETE", path: "/cam/whip/7b0f7c2e-3d0b-4a43-9d1e-0c6a1b5f7e11", user: "viewer", want: 404},
		{name: "WHIP session unauthenticated", method: "DELETE", path: "/cam/whip/7b0f7c2e-3d0b-4a43-9d1e-0c6a1b5f7e11", want: 401},
		{name: "publish page without credentials", method: "GET", path: "/live/cam/publish", want: 401,
			wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "publish page", method: "GET", path: "/live/cam/publish", user: "viewer", want: 200,
			wantHeader: "Content-Type", wantValue: "text/html; charset=utf-8", wantBody: "getUserMedia"},
		{name: "publish page forbidden", method: "GET", path: "/live/cam/publish", user: "blocked", want: 403},
		{name: "unknown session", method: "DELETE", path: "/cam/whep/7b0f7c2e-3d0b-4a43-9d1e-0c6a1b5f7e11", user: "viewer", want: 404},
		{name: "session id not a UUID", method: "DELETE", path: "/cam/whep/x", user: "viewer", want: 404},
		{name: "PATCH unknown session", method: "PATCH", path: "/cam/whep/7b0f7c2e-3d0b-4a43-9d1e-0c6a1b5f7e11",
			contentType: "application/trickle-ice-sdpfrag", user: "viewer", want: 404},
		{name: "redirect", method: "GET", path: "/live/cam?token=abc", want: 301, wantHeader: "Location", wantValue: "/live/cam/?token=abc"},
		{name: "page without credentials", method: "GET", path: "/live/cam/", want: 401,
			wantHeader: "WWW-Authenticate", wantValue: `Basic realm="streamgate"`},
		{name: "page", method: "GET", path: "/live/cam/", user: "viewer", want: 200,
			wantHeader: "Content-Type", wantValue: "text/html; charset=utf-8", wantBody: "<video"},
		{name: "POST page", method: "POST", path: "/live/cam/", user: "viewer", want: 405},
		{name: "dot dot", method: "GET", path: "/a/../b/", user: "viewer", want: 400},
		{name: "root", method: "GET", path: "/", user: "viewer", want: 404},
		{name: "preflight", method: "OPTIONS", path: "/cam/whep", want: 204, wantHeader: "Accept-Post", wantValue: "application/sdp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.request(t, tc.method, tc.path, tc.contentType, tc.body, tc.user)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.want {
				t.Fatalf("%s %s: %d %q, want %d", tc.method, tc.path, res.StatusCode, body, tc.want)
			}
			if tc.wantHeader != "" && res.Header.Get(tc.wantHeader) != tc.wantValue {
				t.Errorf("%s: %q, want %q", tc.wantHeader, res.Header.Get(tc.wantHeader), tc.wantValue)
			}
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body %q does not contain %q", body, tc.wantBody)
			}
		})
	}
	if n := e.readers("cam"); n != 0 {
		t.Errorf("refused offers left %d readers", n)
	}
}

// CORS: a listed origin is echoed with credentials; the 201 exposes Location
// and ETag.
func TestCORS(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "cam", h264Media())
	req, _ := http.NewRequest(http.MethodPost, e.url+"/cam/whep", strings.NewReader(newClient(t).offer()))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Origin", "https://player.example")
	req.SetBasicAuth("viewer", "secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d", res.StatusCode)
	}
	h := res.Header
	if h.Get("Access-Control-Allow-Origin") != "https://player.example" || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS headers %v", h)
	}
	if !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") || h.Get("ETag") == "" {
		t.Errorf("exposed headers %q, ETag %q", h.Get("Access-Control-Expose-Headers"), h.Get("ETag"))
	}
}
