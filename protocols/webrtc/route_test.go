package webrtc

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authz"
)

const sid = "7b0f7c2e-3d0b-4a43-9d1e-0c6a1b5f7e11"

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want route
	}{
		{"/cam", route{kind: routeRedirect, path: "cam"}},
		{"/cam/", route{kind: routePage, path: "cam"}},
		{"/a/b/", route{kind: routePage, path: "a/b"}},
		{"/cam/whep", route{kind: routeWHEP, path: "cam"}},
		{"/a/b/whep", route{kind: routeWHEP, path: "a/b"}},
		{"/a/whep/b/whep", route{kind: routeWHEP, path: "a/whep/b"}},
		{"/cam/whep/" + sid, route{kind: routeSession, path: "cam", session: sid}},
		{"/a/b/whep/" + sid, route{kind: routeSession, path: "a/b", session: sid}},
		{"/cam/whip", route{kind: routeWHIP, path: "cam"}},
		{"/cam/whip/" + sid, route{kind: routeWHIPSession, path: "cam", session: sid}},
		{"/cam/publish", route{kind: routePublishPage, path: "cam"}},
		{"/cam/whep/not-a-uuid", route{}},
		{"/cam/whep/" + strings.ToUpper(sid), route{}}, // not as we write it
		{"/whep", route{}},
		{"/whep/" + sid, route{}},
		{"/", route{}},
		{"", route{}},
		{"cam", route{}},
		{"//evil.example/", route{kind: routeBadPath}},
		{"//cam", route{kind: routeBadPath}},
		{"/a//b/whep", route{kind: routeBadPath}},
		{"/a/../b/", route{kind: routeBadPath}},
		{"/cam%20x/", route{kind: routeBadPath}},
		{"/cam x/", route{kind: routeBadPath}},
		{"/ca\u00e9m/", route{kind: routeBadPath}},
		{"/live.cam_1-x~y:z/", route{kind: routePage, path: "live.cam_1-x~y:z"}},
	} {
		if got := parseRoute(tc.in); got != tc.want {
			t.Errorf("parseRoute(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// FuzzParseRoute: parseRoute never panics; what it accepts is a valid path
// name taken from the URL; a session is a canonical UUID; the URLs this
// package writes parse back to the same route. Seeds are in
// testdata/fuzz/FuzzParseRoute.
func FuzzParseRoute(f *testing.F) {
	f.Add("/cam/whep")
	f.Fuzz(func(t *testing.T, p string) {
		rt := parseRoute(p)
		if rt.kind == routeNone || rt.kind == routeBadPath {
			return
		}
		if authz.CheckPathName(rt.path) != nil || !strings.Contains(p, rt.path) {
			t.Fatalf("parseRoute(%q) = %+v: path not valid or not from the URL", p, rt)
		}
		switch rt.kind {
		case routeSession:
			if id, err := uuid.Parse(rt.session); err != nil || id.String() != rt.session {
				t.Fatalf("parseRoute(%q): session %q is not a canonical UUID", p, rt.session)
			}
			if again := parseRoute(sessionLocation(rt.path, rt.session)); again != rt {
				t.Fatalf("Location of %+v parses as %+v", rt, again)
			}
		case routePage:
			if again := parseRoute("/" + rt.path + "/"); again != rt {
				t.Fatalf("page of %+v parses as %+v", rt, again)
			}
		case routeWHEP:
			if again := parseRoute("/" + rt.path + "/whep"); again != rt {
				t.Fatalf("endpoint of %+v parses as %+v", rt, again)
			}
		}
	})
}
