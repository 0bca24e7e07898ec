package e2e_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// apiStarts are the addresses the API listener started on, in order.
func apiStarts(d *testharness.Daemon) []string {
	var out []string
	for _, e := range d.LogEntries() {
		if e["msg"] == "listener started" && e["listener"] == "api" {
			out = append(out, e["address"].(string))
		}
	}
	return out
}

// The path user of TestAPIConfigEdits: added through the API.
const apiPathUser, apiPathPass = "xuser", "x-read-secret-5"

// configGet returns a configuration object, asked as admin.
func configGet(t testing.TB, d interface{ URL(string, string) string }, path string) map[string]any {
	t.Helper()
	a := get(t, d.URL("api", path), basicAuth(rtspAdminUser, rtspAdminPass))
	wantStatus(t, path, a, http.StatusOK)
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("%s: %v: %q", path, err, a.body)
	}
	wantNoSecrets(t, path, a.body, apiPathPass)
	return m
}

// Configuration edits through the API apply at once, like a reload: a path
// added with a readUser needs it for reading; a PATCH sending back the
// redaction marker keeps the secret; a bad patch is a 400 with the error
// and the running configuration kept; replace drops the path's own keys;
// delete removes the path (its publication ends, publishing is refused).
// Secrets never show; the file is not written.
func TestAPIConfigEdits(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{})
	file, err := os.ReadFile(d.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(method, path, body string, want int) answer {
		t.Helper()
		a := apiCall(t, d, method, path, body)
		wantStatus(t, method+" "+path+" "+body, a, want)
		schema := "OK"
		if want != http.StatusOK {
			schema = "Error"
		}
		checkSchema(t, path, schema, decodeJSON(t, path, a.body))
		wantNoSecrets(t, path, a.body, apiPathPass)
		return a
	}
	canRead := func(user, pass, path string) bool {
		t.Helper()
		n, code, _ := ffmpegDecode(t, rtspURL(d, user, pass, path), 5)
		return code == 0 && n >= 5
	}

	edit(http.MethodPost, "/v3/config/paths/add/extra", `{"readUser": "`+apiPathUser+`", "readPass": "`+apiPathPass+`"}`, http.StatusOK)
	edit(http.MethodPost, "/v3/config/paths/add/extra", `{}`, http.StatusBadRequest)
	if p := configGet(t, d, "/v3/config/paths/get/extra"); p["name"] != "extra" || p["readUser"] != apiPathUser || p["readPass"] != "[redacted]" {
		t.Errorf("the added path reads %v", p)
	}
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "extra"), 120, "tcp")
	defer pub.kill()
	rtspWaitPath(t, d, "extra", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if !canRead(apiPathUser, apiPathPass, "extra") {
		t.Errorf("%s cannot read the added path", apiPathUser)
	}
	if canRead(rtspReadUser, rtspReadPass, "extra") {
		t.Errorf("%s reads the added path, whose readUser is %s", rtspReadUser, apiPathUser)
	}

	// The redaction marker, streamgate's and MediaMTX's, keeps the secret.
	edit(http.MethodPatch, "/v3/config/paths/patch/extra", `{"readPass": "[redacted]", "maxReaders": 3}`, http.StatusOK)
	edit(http.MethodPatch, "/v3/config/paths/patch/extra", `{"readPass": "<redacted>"}`, http.StatusOK)
	if p := configGet(t, d, "/v3/config/paths/get/extra"); p["maxReaders"] != float64(3) || p["readPass"] != "[redacted]" {
		t.Errorf("after the patch the path reads %v", p)
	}
	if !canRead(apiPathUser, apiPathPass, "extra") || canRead(apiPathUser, "[redacted]", "extra") {
		t.Errorf("the redaction marker sent back changed the path's readPass")
	}

	// Bad patches: 400 with the error; the running configuration is kept.
	for _, c := range []struct{ method, path, body, wantErr string }{
		{http.MethodPatch, "/v3/config/paths/patch/extra", `{"maxReaders": "many"}`, "maxReaders"},
		{http.MethodPatch, "/v3/config/paths/patch/extra", `{"maxReader": 1}`, "maxReader"},
		{http.MethodPatch, "/v3/config/paths/patch/extra", `{"readPass": 1`, "JSON"},
		{http.MethodPatch, "/v3/config/global/patch", `{"readTimeout": "soon"}`, "readTimeout"},
		{http.MethodPatch, "/v3/config/global/patch", `{"paths": {}}`, "paths"},
		{http.MethodPatch, "/v3/config/pathdefaults/patch", `{"maxReaders": -1}`, "maxReaders"},
		{http.MethodPost, "/v3/config/paths/add/bad%20name", `{}`, "bad name"},
		{http.MethodPatch, "/v3/config/paths/patch/cam", `{"publishPass": "[redacted]"}`, "redacted"},
	} {
		a := edit(c.method, c.path, c.body, http.StatusBadRequest)
		if !strings.Contains(a.body, c.wantErr) {
			t.Errorf("%s %s: the error does not name %q: %s", c.path, c.body, c.wantErr, a.body)
		}
	}
	edit(http.MethodPatch, "/v3/config/paths/patch/nope", `{}`, http.StatusNotFound)
	edit(http.MethodPost, "/v3/config/paths/replace/nope", `{}`, http.StatusNotFound)
	if p := configGet(t, d, "/v3/config/paths/get/extra"); p["maxReaders"] != float64(3) {
		t.Errorf("a refused patch changed the path: %v", p)
	}
	if g := configGet(t, d, "/v3/config/global/get"); g["readTimeout"] != "10s" {
		t.Errorf("a refused patch changed readTimeout: %v", g["readTimeout"])
	}
	if !canRead(apiPathUser, apiPathPass, "extra") {
		t.Errorf("after the refused patches %s cannot read", apiPathUser)
	}

	// The users as the API shows them, sent back: every password kept.
	g := configGet(t, d, "/v3/config/global/get")
	users, _ := json.Marshal(map[string]any{"authInternalUsers": g["authInternalUsers"]})
	edit(http.MethodPatch, "/v3/config/global/patch", string(users), http.StatusOK)
	wantStatus(t, "admin after the users were sent back", apiCall(t, d, http.MethodGet, "/v3/info", ""), http.StatusOK)
	wantStatus(t, "admin with the marker as password", apiCall(t, d, http.MethodGet, "/v3/info", "", basicAuth(rtspAdminUser, "[redacted]")), http.StatusUnauthorized)

	// pathDefaults apply to every path that does not set the key.
	edit(http.MethodPatch, "/v3/config/pathdefaults/patch", `{"overridePublisher": true}`, http.StatusOK)
	if p := configGet(t, d, "/v3/config/paths/get/cam"); p["overridePublisher"] != true {
		t.Errorf("cam does not inherit the patched pathDefaults: %v", p)
	}
	if p := configGet(t, d, "/v3/config/pathdefaults/get"); p["overridePublisher"] != true {
		t.Errorf("pathdefaults/get: %v", p)
	}

	// Replace: the path's own keys go; anyone with read reads it.
	edit(http.MethodPost, "/v3/config/paths/replace/extra", `{"maxReaders": 2}`, http.StatusOK)
	if p := configGet(t, d, "/v3/config/paths/get/extra"); p["readUser"] != "" || p["maxReaders"] != float64(2) {
		t.Errorf("after replace the path reads %v", p)
	}
	if !canRead(rtspReadUser, rtspReadPass, "extra") {
		t.Errorf("after replace %s cannot read", rtspReadUser)
	}

	// Delete: the path is gone, its publication ends, publishing is refused.
	edit(http.MethodDelete, "/v3/config/paths/delete/extra", "", http.StatusOK)
	edit(http.MethodDelete, "/v3/config/paths/delete/extra", "", http.StatusNotFound)
	wantStatus(t, "get deleted path", apiCall(t, d, http.MethodGet, "/v3/config/paths/get/extra", ""), http.StatusNotFound)
	rtspWaitGone(t, d, "extra", 10*time.Second)
	select {
	case <-pub.done:
	case <-time.After(10 * time.Second):
		t.Errorf("the publisher of the deleted path is still connected")
	}
	again := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "extra"), 2, "tcp")
	if code := again.wait(t, 20*time.Second); code == 0 {
		t.Errorf("publishing the deleted path succeeded")
	}
	list := configGet(t, d, "/v3/config/paths/list")
	if n, _ := list["itemCount"].(float64); n != 1 {
		t.Errorf("config paths list after the delete: %v", list)
	}

	// A global key every listener is started with (readTimeout restarts
	// them all, the API's own listener too): the answer arrives, then the
	// API comes back (on a new ephemeral port: it is configured as :0).
	before := len(apiStarts(d))
	start := time.Now()
	edit(http.MethodPatch, "/v3/config/global/patch", `{"readTimeout": "12s"}`, http.StatusOK)
	t.Logf("readTimeout patch answered after %v", time.Since(start).Round(time.Millisecond))
	for len(apiStarts(d)) == before {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("the API listener did not restart:\n%s", d.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	addrs := apiStarts(d)
	a := get(t, "http://"+addrs[len(addrs)-1]+"/v3/config/global/get", basicAuth(rtspAdminUser, rtspAdminPass))
	if !strings.Contains(a.body, `"readTimeout": "12s"`) {
		t.Errorf("readTimeout after the patch: %d %s", a.status, a.body)
	}

	if now, _ := os.ReadFile(d.ConfigPath); string(now) != string(file) {
		t.Errorf("the configuration file was written:\n%s", now)
	}
	assertNotLogged(t, d, apiPathPass, rtspReadPass, rtspPubPass, rtspAdminPass)
}

// Edits through the API are not written to the file; when the file is
// applied again (it changed) it replaces them, and a warning says how many
// edits were dropped. Nothing else reloads the file: an edit stays until
// then.
func TestAPIConfigEditsReplacedByFileReload(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{})
	apiCall(t, d, http.MethodPost, "/v3/config/paths/add/extra", `{"maxReaders": 4}`)
	wantStatus(t, "added path", apiCall(t, d, http.MethodGet, "/v3/config/paths/get/extra", ""), http.StatusOK)
	file, err := os.ReadFile(d.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(file), "extra") {
		t.Fatalf("the edit was written to the file:\n%s", file)
	}
	if err := os.WriteFile(d.ConfigPath, append(file, []byte("\n# edited\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := d.WaitLogCount("configuration edits made through the API were replaced by the file's contents", 1, 10*time.Second); len(got) != 1 || got[0]["edits"] != float64(1) {
		t.Fatalf("no warning about the dropped edit: %v\n%s", got, d.Logs())
	}
	wantStatus(t, "the added path after the file was applied", apiCall(t, d, http.MethodGet, "/v3/config/paths/get/extra", ""), http.StatusNotFound)
}
