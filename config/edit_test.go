package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const editBase = `
authInternalUsers:
- {user: alice, pass: alice-secret-1, permissions: [{action: read}]}
- {user: bob, pass: bob-secret-2, permissions: [{action: api}]}
authHTTPAddress: http://auth:hook-secret-3@auth.example/check
cam: &cam {maxReaders: 2, readUser: cuser, readPass: cam-secret-4}
paths:
  cam: *cam
  other: {}
`

// editConf parses editBase; the extra top-level key cam is removed again
// (it only carries the anchor).
func editConf(t *testing.T) *Conf {
	t.Helper()
	c, err := Parse("edit.yml", []byte(strings.Replace(editBase, "cam: &cam", "pathDefaults: &cam", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func body(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func pathOf(t *testing.T, c *Conf, name string) *NamedPath {
	t.Helper()
	for i := range c.Paths.List {
		if c.Paths.List[i].Name == name {
			return &c.Paths.List[i]
		}
	}
	t.Fatalf("no path %s", name)
	return nil
}

func TestEditKeepsSecretsSentBackRedacted(t *testing.T) {
	c := editConf(t)
	g := c.GlobalRedacted()
	raw, _ := json.Marshal(map[string]any{"authInternalUsers": g["authInternalUsers"], "authHTTPAddress": g["authHTTPAddress"]})
	if strings.Contains(string(raw), "secret") {
		t.Fatalf("the redacted global shows a secret: %s", raw)
	}
	n, err := c.PatchGlobal(body(t, string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"alice-secret-1", "bob-secret-2"} {
		if got := n.AuthInternalUsers[i].Pass.Raw; got != want {
			t.Errorf("user %d: pass %q, want %q", i, got, want)
		}
	}
	if n.AuthHTTPAddress != c.AuthHTTPAddress {
		t.Errorf("authHTTPAddress %q, want the original", n.AuthHTTPAddress)
	}
	// Users reordered: matched by name, not place.
	n, err = c.PatchGlobal(body(t, `{"authInternalUsers": [
		{"user": "bob", "pass": "<redacted>", "permissions": [{"action": "api"}]},
		{"user": "alice", "pass": "[redacted]", "permissions": [{"action": "read"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.AuthInternalUsers[0].Pass.Raw != "bob-secret-2" || n.AuthInternalUsers[1].Pass.Raw != "alice-secret-1" {
		t.Errorf("reordered users got each other's passwords")
	}
	// A new user cannot take a password it never had.
	if _, err := c.PatchGlobal(body(t, `{"authInternalUsers": [{"user": "carol", "pass": "[redacted]"}]}`)); err == nil {
		t.Errorf("a new user with the redaction marker as password was accepted")
	}
}

func TestEditPaths(t *testing.T) {
	c := editConf(t)
	n, err := c.PatchPath("cam", body(t, `{"readPass": "[redacted]", "maxReaders": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := pathOf(t, n, "cam"); p.MaxReaders != 5 || p.ReadPass.Raw != "cam-secret-4" {
		t.Errorf("patched cam: maxReaders %d, readPass kept %v", p.MaxReaders, p.ReadPass.Raw == "cam-secret-4")
	}
	// The anchor is shared with pathDefaults: the patch changed cam only.
	if n.PathDefaults.MaxReaders != 2 || pathOf(t, n, "other").MaxReaders != 2 {
		t.Errorf("patching cam changed pathDefaults or other: %d %d", n.PathDefaults.MaxReaders, pathOf(t, n, "other").MaxReaders)
	}
	if _, err := c.PatchPath("nope", body(t, `{}`)); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("patch of an unknown path: %v", err)
	}
	if _, err := c.AddPath("cam", body(t, `{}`)); !errors.Is(err, ErrPathExists) {
		t.Errorf("add of an existing path: %v", err)
	}
	n, err = c.AddPath("~^new/.+$", body(t, `{"maxReaders": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := n.Paths.Find("new/x"); !ok || p.MaxReaders != 7 {
		t.Errorf("the added regex path does not match: %v %v", ok, p)
	}
	n, err = c.ReplacePath("cam", body(t, `{"readPass": "[redacted]"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := pathOf(t, n, "cam"); p.MaxReaders != 2 || p.ReadPass.Raw != "cam-secret-4" {
		t.Errorf("replaced cam: maxReaders %d (want the default 2)", p.MaxReaders)
	}
	n, err = c.RemovePath("other")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n.PathRedacted("other"); ok {
		t.Errorf("other is still configured")
	}
	if _, ok := c.PathRedacted("other"); !ok {
		t.Errorf("the edit changed the configuration it was made from")
	}
}

func TestEditRefusals(t *testing.T) {
	c := editConf(t)
	for _, tc := range []struct {
		name string
		edit func() (*Conf, error)
		want string
	}{
		{"wrong type", func() (*Conf, error) { return c.PatchPath("cam", body(t, `{"maxReaders": "many"}`)) }, "api: paths.cam.maxReaders"},
		{"unknown key", func() (*Conf, error) { return c.PatchGlobal(body(t, `{"rtspAdress": ":1"}`)) }, "rtspAdress"},
		{"paths through global", func() (*Conf, error) { return c.PatchGlobal(body(t, `{"paths": {}}`)) }, "paths"},
		{"bad path name", func() (*Conf, error) { return c.AddPath("a//b", body(t, `{}`)) }, "a//b"},
		{"marker without a value", func() (*Conf, error) { return c.PatchPath("other", body(t, `{"publishPass": "[redacted]"}`)) }, "redacted"},
		{"invalid duration", func() (*Conf, error) { return c.PatchGlobal(body(t, `{"readTimeout": "soon"}`)) }, "readTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.edit()
			if err == nil || n != nil {
				t.Fatalf("accepted: %v", n)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "-secret-") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestEditGatewayJSONNotEditable(t *testing.T) {
	c := Default()
	if _, err := c.PatchGlobal(map[string]any{}); !errors.Is(err, ErrNotEditable) {
		t.Errorf("edit without a source: %v", err)
	}
}

func TestEditWinsOverEnvironment(t *testing.T) {
	env := []string{"MTX_READTIMEOUT=20s", "MTX_RTSPADDRESS=:9554", "STREAMGATE_PATHDEFAULTS_MAXREADERS=9"}
	c, err := Parse("edit.yml", []byte("paths:\n  cam: {}\n"), env)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.PatchGlobal(body(t, `{"readTimeout": "12s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.ReadTimeout.String() != "12s" || n.RTSPAddress != ":9554" {
		t.Errorf("readTimeout %v (want the edit's 12s), rtspAddress %q (want the environment's)", n.ReadTimeout, n.RTSPAddress)
	}
	n, err = n.PatchPathDefaults(body(t, `{"maxReaders": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.PathDefaults.MaxReaders != 3 || n.ReadTimeout.String() != "12s" {
		t.Errorf("maxReaders %d (want 3), readTimeout %v after a second edit", n.PathDefaults.MaxReaders, n.ReadTimeout)
	}
}
