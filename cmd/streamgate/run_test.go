package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestConfigSearchOrder pins the list: ./streamgate.yml first (CONTRACT),
// then MediaMTX's own search list in its order.
func TestConfigSearchOrder(t *testing.T) {
	want := []string{"streamgate.yml", "mediamtx.yml", "rtsp-simple-server.yml",
		"/usr/local/etc/mediamtx.yml", "/usr/etc/mediamtx.yml", "/etc/mediamtx/mediamtx.yml"}
	if !slices.Equal(configSearch, want) {
		t.Errorf("configSearch = %q, want %q", configSearch, want)
	}
}

// TestLoadConfigSearch: without a CONFIG argument the first file of the
// search list that exists is loaded; none: the embedded default.
func TestLoadConfigSearch(t *testing.T) {
	dir := t.TempDir()
	search := []string{
		filepath.Join(dir, "streamgate.yml"),
		filepath.Join(dir, "mediamtx.yml"),
		filepath.Join(dir, "usr", "local", "etc", "mediamtx.yml"),
		filepath.Join(dir, "etc", "mediamtx", "mediamtx.yml"),
	}
	write := func(i int, realm string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(search[i]), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(search[i], []byte("authRealm: "+realm+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func(wantSource, wantRealm string) {
		t.Helper()
		c, source, err := loadConfig(nil, search)
		if err != nil {
			t.Fatal(err)
		}
		if source != wantSource || c.AuthRealm != wantRealm {
			t.Errorf("loaded %s (authRealm %q), want %s (%q)", source, c.AuthRealm, wantSource, wantRealm)
		}
	}
	load(embeddedSource, "streamgate")
	write(3, "etc")
	load(search[3], "etc")
	write(2, "usr-local")
	load(search[2], "usr-local")
	write(1, "mediamtx")
	load(search[1], "mediamtx")
	write(0, "streamgate-yml")
	load(search[0], "streamgate-yml")

	// A CONFIG argument wins over the search.
	c, source, err := loadConfig([]string{search[3]}, search)
	if err != nil || source != search[3] || c.AuthRealm != "etc" {
		t.Errorf("CONFIG argument: %s %v", source, err)
	}
}
