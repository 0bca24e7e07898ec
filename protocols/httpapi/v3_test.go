package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// fakeConfig answers edits with err and records the last one.
type fakeConfig struct {
	err  error
	last httpapi.ConfigEdit
}

func (f *fakeConfig) Global() map[string]any       { return map[string]any{"logLevel": "info"} }
func (f *fakeConfig) PathDefaults() map[string]any { return map[string]any{} }
func (f *fakeConfig) Paths() []map[string]any {
	return []map[string]any{{"name": "cam"}, {"name": "live/x"}}
}
func (f *fakeConfig) Apply(e httpapi.ConfigEdit) error { f.last = e; return f.err }

func call(h http.Handler, method, target, body string) (int, map[string]any) {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.SetBasicAuth("admin", "pw")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

// Pagination as MediaMTX: itemsPerPage (default 100), page from 0,
// itemCount counts every item; a page past the end is empty.
func TestV3ListPagination(t *testing.T) {
	reg := conns.New()
	for _, id := range []string{"a", "b", "c"} {
		reg.Add(conns.SRTConns, id, func() any { return map[string]string{"id": id} }, nil)
	}
	env := newEnv(nil, false)
	env.Conns = reg
	h := env.APIHandler()
	for _, tc := range []struct {
		query               string
		status, count, page int
		items               int
	}{
		{"", 200, 3, 1, 3},
		{"?itemsPerPage=2", 200, 3, 2, 2},
		{"?itemsPerPage=2&page=1", 200, 3, 2, 1},
		{"?itemsPerPage=2&page=9", 200, 3, 2, 0},
		{"?itemsPerPage=0", 400, 0, 0, 0},
		{"?page=-1", 400, 0, 0, 0},
	} {
		code, m := call(h, http.MethodGet, "/v3/srtconns/list"+tc.query, "")
		if code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, code, tc.status)
			continue
		}
		if code != 200 {
			if m["error"] == nil || m["status"] != "error" {
				t.Errorf("%s: error body %v", tc.query, m)
			}
			continue
		}
		items, _ := m["items"].([]any)
		if m["itemCount"] != float64(tc.count) || m["pageCount"] != float64(tc.page) || len(items) != tc.items {
			t.Errorf("%s: %v", tc.query, m)
		}
	}
	if code, _ := call(h, http.MethodGet, "/v3/webrtcsessions/list", ""); code != 200 {
		t.Errorf("an empty list: %d", code)
	}
}

// Edits: 200 {"status":"ok"}; an unknown path 404; refused 400; applied but
// a listener not restarted 500; a body that is not one JSON object 400
// without reaching the configuration.
func TestV3ConfigEditStatuses(t *testing.T) {
	fc := &fakeConfig{}
	env := newEnv(nil, false)
	env.ConfigAPI = fc
	h := env.APIHandler()
	if code, m := call(h, http.MethodPatch, "/v3/config/paths/patch/live/x", `{"maxReaders": 2}`); code != 200 || m["status"] != "ok" {
		t.Errorf("patch: %d %v", code, m)
	}
	if fc.last.Op != "patch" || fc.last.Name != "live/x" || fc.last.Body["maxReaders"] != json.Number("2") {
		t.Errorf("edit passed on as %+v", fc.last)
	}
	for _, tc := range []struct {
		err    error
		status int
	}{{httpapi.ErrPathNotFound, 404}, {errors.New("maxReaders: want a whole number"), 400}, {&httpapi.ApplyError{Err: errors.New("rtsp: bind")}, 500}} {
		fc.err = tc.err
		if code, m := call(h, http.MethodPost, "/v3/config/paths/replace/cam", `{}`); code != tc.status || m["error"] != tc.err.Error() {
			t.Errorf("%v: %d %v, want %d", tc.err, code, m, tc.status)
		}
	}
	fc.err, fc.last = nil, httpapi.ConfigEdit{}
	for _, body := range []string{`[1]`, `{"a":1} {"b":2}`, `{"a":`, ``} {
		if code, _ := call(h, http.MethodPatch, "/v3/config/global/patch", body); code != 400 || fc.last.Op != "" {
			t.Errorf("body %q: %d, reached the configuration: %v", body, code, fc.last.Op != "")
		}
	}
	if code, m := call(h, http.MethodGet, "/v3/config/paths/get/live/x", ""); code != 200 || m["name"] != "live/x" {
		t.Errorf("get live/x: %d %v", code, m)
	}
	if code, _ := call(h, http.MethodGet, "/v3/config/paths/get/nope", ""); code != 404 {
		t.Errorf("get nope: %d", code)
	}
	if code, _ := call(h, http.MethodGet, "/v3/config/global/get", ""); code != 200 {
		t.Errorf("global get: %d", code)
	}
}
